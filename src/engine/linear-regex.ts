// Runs in the bot's process (content rules at submit) and wherever the configuration is checked:
// a regular-expression matcher whose time is linear in the text, so no pattern and no prompt can
// stall the event loop. Patterns use JavaScript syntax (always case-insensitive and Unicode, the
// `iu` flags), parsed here and compiled to a Thompson NFA that regex-vm.ts runs without ever
// backtracking: O(text length x program size) at worst. What needs backtracking is refused:
// back-references and look-arounds. Single characters (literals, classes, escapes, `.`) are
// tested by V8 on one code point at a time.
import { ASSERT, ASSERTS, CHAR, CharTest, JMP, MATCH, RegexVm, SPLIT, type AssertKind } from './regex-vm.ts';

/** A pattern the linear-time engine cannot run (or that is not a valid pattern at all). */
export class PatternError extends Error {
  override name = 'PatternError';
}

/** Largest program (NFA instructions, after counted repeats are expanded) a pattern may compile to. */
export const MAX_PROGRAM = 1000;

/** The parsed pattern. A `char` matches one code point; `rep` repeats min..max times (max may be Infinity). */
export type Node =
  | { k: 'char'; source: string }
  | { k: 'assert'; kind: AssertKind }
  | { k: 'seq'; items: Node[] }
  | { k: 'alt'; options: Node[] }
  | { k: 'rep'; node: Node; min: number; max: number };

/** A compiled pattern: `test` answers whether it matches anywhere in the text, in linear time. */
export interface LinearRegex {
  readonly source: string;
  test(text: string): boolean;
}

const QUANTIFIER = /\{(\d+)(?:(,)(\d*))?\}/y;

/** Parses a JavaScript pattern (u-mode syntax) into a Node; throws PatternError for what cannot run in linear time. */
export function parsePattern(source: string, flags: { multiline?: boolean } = {}): Node {
  let i = 0;
  const fail = (why: string): never => {
    throw new PatternError(why);
  };

  const alt = (): Node => {
    const options = [seq()];
    while (source[i] === '|') {
      i++;
      options.push(seq());
    }
    return options.length === 1 ? options[0] : { k: 'alt', options };
  };

  const seq = (): Node => {
    const items: Node[] = [];
    while (i < source.length && source[i] !== '|' && source[i] !== ')') items.push(term());
    return items.length === 1 ? items[0] : { k: 'seq', items };
  };

  const term = (): Node => {
    const node = atom();
    let min: number;
    let max: number;
    const c = source[i];
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      QUANTIFIER.lastIndex = i;
      const m = QUANTIFIER.exec(source);
      if (!m) return fail('has a { that is not a repeat count');
      min = Number(m[1]);
      max = m[2] ? (m[3] ? Number(m[3]) : Infinity) : min;
      if (min > MAX_PROGRAM || (max !== Infinity && max > MAX_PROGRAM))
        fail(`repeats something more than ${MAX_PROGRAM} times`);
      i += m[0].length - 1;
    } else return node;
    i++;
    if (source[i] === '?') i++; // lazy or greedy: the same for "does it match"
    return { k: 'rep', node, min, max };
  };

  const atom = (): Node => {
    const c = source[i];
    if (c === '(') {
      i++;
      if (source.startsWith('?:', i)) i += 2;
      else if (
        source.startsWith('?=', i) ||
        source.startsWith('?!', i) ||
        source.startsWith('?<=', i) ||
        source.startsWith('?<!', i)
      ) {
        fail(
          'uses a look-ahead or look-behind (?=, ?!, ?<=, ?<!), which the linear-time rule engine does not run',
        );
      } else if (source.startsWith('?<', i)) {
        const end = source.indexOf('>', i);
        if (end < 0) fail('has an unfinished group name');
        i = end + 1;
      } else if (source[i] === '?') fail('uses a group modifier (?...) that the rule engine does not run');
      const inner = alt();
      if (source[i] !== ')') fail('has a ( without its )');
      i++;
      return inner;
    }
    if (c === ')') return fail('has a ) without its (');
    if (c === '^' || c === '$') {
      i++;
      const kind: AssertKind =
        c === '^' ? (flags.multiline ? 'lineStart' : 'start') : flags.multiline ? 'lineEnd' : 'end';
      return { k: 'assert', kind };
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') return fail(`has nothing before ${c} to repeat`);
    if (c === '[') {
      let j = i + 1;
      if (source[j] === '^') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      if (j >= source.length) fail('has a [ without its ]');
      return char(j + 1);
    }
    if (c === '\\') return escape();
    const cp = source.codePointAt(i)!;
    return char(i + (cp > 0xffff ? 2 : 1));
  };

  /** The single character from i to end (exclusive). */
  const char = (end: number): Node => {
    const s = source.slice(i, end);
    i = end;
    return { k: 'char', source: s };
  };

  const escape = (): Node => {
    const e = source[i + 1];
    if (e === undefined) return fail('ends with a \\');
    if (e === 'b' || e === 'B') {
      i += 2;
      return { k: 'assert', kind: e === 'b' ? 'word' : 'notWord' };
    }
    if (/[1-9]/.test(e) || e === 'k')
      return fail('refers back to a group (\\1, \\k<name>), which the linear-time rule engine does not run');
    if ((e === 'p' || e === 'P' || e === 'u') && source[i + 2] === '{') {
      const end = source.indexOf('}', i);
      if (end < 0) fail(`has an unfinished \\${e}{`);
      return char(end + 1);
    }
    if (e === 'u') {
      // A surrogate pair written as two \u escapes is one code point in Unicode mode.
      const pair = /\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}/y;
      pair.lastIndex = i;
      return char(i + (pair.test(source) ? 12 : 6));
    }
    if (e === 'x') return char(i + 4);
    if (e === 'c') return char(i + 3);
    const cp = source.codePointAt(i + 1)!;
    return char(i + 1 + (cp > 0xffff ? 2 : 1));
  };

  const node = alt();
  if (i < source.length) fail('has a ) without its (');
  return node;
}

/** Compiles a Node to an NFA program (Thompson's construction; Russ Cox, "Regular Expression Matching: the Virtual Machine Approach"). */
export function compileNode(root: Node, source: string, flags: { dotAll?: boolean } = {}): LinearRegex {
  const op: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  const tests: CharTest[] = [];
  const testIndex = new Map<string, number>();
  const charFlags = flags.dotAll ? 'ius' : 'iu';

  const emit = (o: number, x = 0, y = 0): number => {
    if (op.length >= MAX_PROGRAM)
      throw new PatternError(
        `is too large once its repeats are written out (more than ${MAX_PROGRAM} steps); write it more simply`,
      );
    op.push(o);
    a.push(x);
    b.push(y);
    return op.length - 1;
  };

  const gen = (n: Node): void => {
    switch (n.k) {
      case 'char': {
        let t = testIndex.get(n.source);
        if (t === undefined) {
          t = tests.length;
          tests.push(new CharTest(n.source, charFlags));
          testIndex.set(n.source, t);
        }
        emit(CHAR, t);
        return;
      }
      case 'assert':
        emit(ASSERT, ASSERTS.indexOf(n.kind));
        return;
      case 'seq':
        for (const item of n.items) gen(item);
        return;
      case 'alt': {
        const jumps: number[] = [];
        n.options.forEach((o, k) => {
          if (k === n.options.length - 1) return gen(o);
          const split = emit(SPLIT, op.length + 1);
          gen(o);
          jumps.push(emit(JMP));
          b[split] = op.length;
        });
        for (const j of jumps) a[j] = op.length;
        return;
      }
      case 'rep': {
        for (let k = 0; k < n.min; k++) gen(n.node);
        if (n.max === Infinity) {
          const split = emit(SPLIT, op.length + 1);
          gen(n.node);
          emit(JMP, split);
          b[split] = op.length;
        } else {
          for (let k = n.min; k < n.max; k++) {
            const split = emit(SPLIT, op.length + 1);
            gen(n.node);
            b[split] = op.length;
          }
        }
        return;
      }
    }
  };
  gen(root);
  emit(MATCH);
  return new RegexVm(source, Int8Array.from(op), Int32Array.from(a), Int32Array.from(b), tests);
}

/** Parses and compiles a JavaScript pattern for linear-time matching (always `iu`; `s` and `m` honoured). */
export function compileLinear(
  source: string,
  flags: { dotAll?: boolean; multiline?: boolean } = {},
): LinearRegex {
  try {
    // V8 checks the syntax (in linear time: nothing is matched), so errors read as JavaScript's do.
    new RegExp(source, `iu${flags.dotAll ? 's' : ''}${flags.multiline ? 'm' : ''}`);
  } catch (err) {
    throw new PatternError(`is not a valid pattern (${(err as Error).message})`);
  }
  return compileNode(parsePattern(source, flags), source, flags);
}
