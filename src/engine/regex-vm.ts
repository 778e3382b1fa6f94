// Runs in the bot's process: the machine behind linear-regex.ts. A pattern's NFA (Thompson's
// construction) is run as a lazily built DFA whose states are sets of NFA instructions, cached
// per rule, as RE2 does; when a text makes too many new states the rest of it runs as a Pike VM
// (one thread per instruction, in lock-step). Either way a text of n code points costs at most
// O(n x program size): no backtracking, whatever the pattern or the prompt.

/** Opcodes: CHAR a=test index; SPLIT a, b; JMP a; ASSERT a=assertion index; MATCH. */
export const CHAR = 0;
export const SPLIT = 1;
export const JMP = 2;
export const ASSERT = 3;
export const MATCH = 4;

/** Zero-width assertions: text or line start/end, \b and \B, no letter/digit/_ before or after. */
export const ASSERTS = [
  'start',
  'end',
  'lineStart',
  'lineEnd',
  'word',
  'notWord',
  'noLetterBefore',
  'noLetterAfter',
] as const;
export type AssertKind = (typeof ASSERTS)[number];

/** One single-character test (a literal, class, escape or `.`), answered by V8 on one code point and remembered. */
export class CharTest {
  private readonly re: RegExp;
  private readonly ascii = new Int8Array(128);
  private readonly other = new Map<number, boolean>();

  constructor(source: string, flags: string) {
    this.re = new RegExp(`^(?:${source})$`, flags);
  }

  has(cp: number): boolean {
    if (cp < 128) {
      const v = this.ascii[cp];
      if (v !== 0) return v > 0;
      const r = this.re.test(String.fromCharCode(cp));
      this.ascii[cp] = r ? 1 : -1;
      return r;
    }
    const known = this.other.get(cp);
    if (known !== undefined) return known;
    const r = this.re.test(String.fromCodePoint(cp));
    if (this.other.size > 4096) this.other.clear();
    this.other.set(cp, r);
    return r;
  }
}

const LINE_END = new Set([0x0a, 0x0d, 0x2028, 0x2029]);
const LETTER_OR_DIGIT = new CharTest('[\\p{L}\\p{N}_]', 'u');

/** A word character of \b in `iu` mode: [A-Za-z0-9_] and the two letters that case-fold into it (ſ, K). */
function isWordChar(cp: number): boolean {
  return (
    (cp >= 0x61 && cp <= 0x7a) ||
    (cp >= 0x41 && cp <= 0x5a) ||
    (cp >= 0x30 && cp <= 0x39) ||
    cp === 0x5f ||
    cp === 0x17f ||
    cp === 0x212a
  );
}

/** Whether an assertion holds between `before` and `after` (-1 = the text's edge). */
function holds(kind: AssertKind, before: number, after: number): boolean {
  switch (kind) {
    case 'start':
      return before < 0;
    case 'end':
      return after < 0;
    case 'lineStart':
      return before < 0 || LINE_END.has(before);
    case 'lineEnd':
      return after < 0 || LINE_END.has(after);
    case 'word':
    case 'notWord':
      return (
        ((before >= 0 && isWordChar(before)) !== (after >= 0 && isWordChar(after))) === (kind === 'word')
      );
    case 'noLetterBefore':
      return before < 0 || !LETTER_OR_DIGIT.has(before);
    case 'noLetterAfter':
      return after < 0 || !LETTER_OR_DIGIT.has(after);
  }
}

/** Most cached DFA states of one rule; past it the cache is dropped and the text's rest runs as a Pike VM. */
const MAX_STATES = 400;
const NO_STATE = -1;
const MATCHED = -2;

/** A compiled program and its DFA cache; `test` answers whether the pattern matches anywhere in the text. */
export class RegexVm {
  private readonly mark: Int32Array;
  private readonly stack: Int32Array;
  private generation = 0;
  /** Bit k set when the program uses ASSERTS[k]: only those make positions differ. */
  private readonly usedAsserts: number;
  private states: Int32Array[] = [];
  private stateIds = new Map<string, number>();
  private transitions = new Map<number, number>();

  constructor(
    readonly source: string,
    private readonly op: Int8Array,
    private readonly a: Int32Array,
    private readonly b: Int32Array,
    private readonly tests: CharTest[],
  ) {
    this.mark = new Int32Array(op.length);
    this.stack = new Int32Array(op.length * 2 + 2);
    let used = 0;
    op.forEach((o, pc) => {
      if (o === ASSERT) used |= 1 << a[pc];
    });
    this.usedAsserts = used;
  }

  test(text: string): boolean {
    const cps: number[] = [];
    for (const ch of text) cps.push(ch.codePointAt(0)!);
    const n = cps.length;
    // Which assertions hold at each position (0 = before the first code point, n = after the last).
    const ctx = new Uint8Array(n + 1);
    if (this.usedAsserts !== 0) {
      for (let pos = 0; pos <= n; pos++)
        ctx[pos] = this.context(pos > 0 ? cps[pos - 1] : -1, pos < n ? cps[pos] : -1);
    }
    if (this.states.length >= MAX_STATES) this.dropCache();
    let s = this.transition(NO_STATE, 0, ctx[0]);
    for (let pos = 0; pos < n; pos++) {
      if (s === MATCHED) return true;
      const t = this.transition(s, cps[pos], ctx[pos + 1]);
      if (t === NO_STATE) return this.pikeVm(cps, ctx, pos, this.states[s]);
      s = t;
    }
    return s === MATCHED;
  }

  private context(before: number, after: number): number {
    let bits = 0;
    for (let k = 0; k < ASSERTS.length; k++)
      if (this.usedAsserts & (1 << k) && holds(ASSERTS[k], before, after)) bits |= 1 << k;
    return bits;
  }

  private dropCache(): void {
    this.states = [];
    this.stateIds = new Map();
    this.transitions = new Map();
  }

  /** The DFA state after reading `cp` in `from` (NO_STATE: the start), with assertions `ctx` after it; NO_STATE when the cache is full. */
  private transition(from: number, cp: number, ctx: number): number {
    const key = ((from + 1) * 256 + ctx) * 0x110000 + cp;
    const known = this.transitions.get(key);
    if (known !== undefined) return known;
    if (this.states.length >= MAX_STATES) return NO_STATE;
    const list = new Int32Array(this.op.length);
    const count = this.advance(from === NO_STATE ? null : this.states[from], cp, ctx, list);
    let to = MATCHED;
    if (count >= 0) {
      const set = list.slice(0, count).sort();
      const id = set.join(',');
      to = this.stateIds.get(id) ?? NO_STATE;
      if (to === NO_STATE) {
        to = this.states.length;
        this.states.push(set);
        this.stateIds.set(id, to);
      }
    }
    this.transitions.set(key, to);
    return to;
  }

  /** One step of the NFA: the threads of `from` that accept `cp`, plus a fresh start, closed under ctx; -1 when MATCH is reached. */
  private advance(from: Int32Array | null, cp: number, ctx: number, list: Int32Array): number {
    this.generation++;
    let n = 0;
    if (from) {
      for (const pc of from) {
        if (!this.tests[this.a[pc]].has(cp)) continue;
        n = this.closure(pc + 1, ctx, list, n);
        if (n < 0) return -1;
      }
    }
    // Unanchored search: a new thread starts at every position.
    return this.closure(0, ctx, list, n);
  }

  /** The Pike VM over cps from `pos`, starting with the threads of `threads`: O(program size) per code point. */
  private pikeVm(cps: number[], ctx: Uint8Array, pos: number, threads: Int32Array): boolean {
    let current = Int32Array.from({ length: this.op.length }, (_, k) => threads[k] ?? 0);
    let next = new Int32Array(this.op.length);
    let count = threads.length;
    this.dropCache();
    for (let p = pos; p < cps.length; p++) {
      const n = this.advance(current.subarray(0, count), cps[p], ctx[p + 1], next);
      if (n < 0) return true;
      [current, next] = [next, current];
      count = n;
    }
    return false;
  }

  /** Adds the CHAR instructions reachable from `start` under ctx to `list` (from index n); -1 when MATCH is reached. */
  private closure(start: number, ctx: number, list: Int32Array, n: number): number {
    const { op, a, b, mark, stack } = this;
    const g = this.generation;
    let top = 0;
    stack[top++] = start;
    while (top > 0) {
      const pc = stack[--top];
      if (mark[pc] === g) continue;
      mark[pc] = g;
      switch (op[pc]) {
        case CHAR:
          list[n++] = pc;
          break;
        case SPLIT:
          stack[top++] = b[pc];
          stack[top++] = a[pc];
          break;
        case JMP:
          stack[top++] = a[pc];
          break;
        case ASSERT:
          if (ctx & (1 << a[pc])) stack[top++] = pc + 1;
          break;
        case MATCH:
          return -1;
      }
    }
    return n;
  }
}
