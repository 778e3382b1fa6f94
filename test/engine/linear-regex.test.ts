// The linear-time matcher answers as V8's regular expressions do (flags iu, plus s and m), on
// hand-picked cases and on 1,500 random patterns and texts short enough for V8 to
// finish; what needs backtracking is refused by name; the DFA cache's limit falls back to the
// Pike VM with the same answers.
import { describe, expect, it } from 'vitest';
import { compileLinear, PatternError } from '../../src/engine/linear-regex.ts';

/** A small seeded generator (mulberry32), so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ATOMS = [
  'a',
  'b',
  'A',
  '.',
  '[ab]',
  '[^a]',
  '\\w',
  '\\s',
  '\\d',
  'é',
  '😀',
  '[a-c]',
  '\\p{L}',
  '\\n',
  ' ',
];
const QUANTS = ['', '', '', '*', '+', '?', '{2}', '{1,3}', '{0,2}', '{2,}', '*?'];

function randomPattern(r: () => number, depth = 0): string {
  const n = 1 + Math.floor(r() * 4);
  let out = '';
  for (let k = 0; k < n; k++) {
    const x = r();
    if (x < 0.15 && depth < 2) out += `(${randomPattern(r, depth + 1)}|${randomPattern(r, depth + 1)})`;
    else if (x < 0.25 && depth < 2) out += `(?:${randomPattern(r, depth + 1)})`;
    else if (x < 0.3) out += ['^', '$', '\\b', '\\B'][Math.floor(r() * 4)];
    else out += ATOMS[Math.floor(r() * ATOMS.length)];
    if (!/[$^]$|\\[bB]$/.test(out)) out += QUANTS[Math.floor(r() * QUANTS.length)];
  }
  return out;
}

function randomText(r: () => number): string {
  const chars = ['a', 'b', 'A', 'B', 'c', ' ', '\n', '1', 'é', 'É', '😀', '_', '!'];
  return Array.from({ length: Math.floor(r() * 9) }, () => chars[Math.floor(r() * chars.length)]).join('');
}

describe('linear-time matcher', () => {
  it('answers as V8 does on hand-picked patterns', () => {
    const cases: [string, string, string][] = [
      ['ro+cket', '', 'a ROOOCKET'],
      ['^moon$', '', 'moon'],
      ['^b', 'm', 'a\nb'],
      ['^b', '', 'a\nb'],
      ['a.c', 's', 'a\nc'],
      ['a.c', '', 'a\nc'],
      ['\\bcat\\b', '', 'a cat.'],
      ['\\bcat\\b', '', 'cats'],
      ['\\Bat', '', 'cat'],
      ['[😀-😂]', '', 'hi 😁'],
      ['\\uD83D\\uDE00', '', '😀'],
      ['\\u{1F600}', '', '😀'],
      ['\\p{Lu}x', '', 'ax'],
      ['(ab|cd){2,3}e', '', 'xxabcde'],
      ['(ab|cd){2,3}e', '', 'xxabe'],
      ['a{0}b', '', 'b'],
      ['(a*)*b', '', 'aaaa'],
      ['[^]', '', 'x'],
      ['[]', '', 'x'],
      ['(?<n>ab)c', '', 'ABC'],
      ['\\x41\\cJ', '', 'a\n'],
      ['', '', ''],
      ['x|', '', 'y'],
      ['\\/\\.', '', 'a/.'],
      ['ſ', '', 'S'],
    ];
    for (const [p, f, text] of cases) {
      const v8 = new RegExp(p, `iu${f}`).test(text);
      expect(
        compileLinear(p, { dotAll: f.includes('s'), multiline: f.includes('m') }).test(text),
        `/${p}/${f} on ${JSON.stringify(text)}`,
      ).toBe(v8);
    }
  });

  it('answers as V8 does on 1,500 random patterns and texts', () => {
    const r = rng(28);
    let compared = 0;
    for (let k = 0; k < 1500; k++) {
      const p = randomPattern(r);
      const flags = { dotAll: r() < 0.3, multiline: r() < 0.3 };
      let v8: RegExp;
      try {
        v8 = new RegExp(p, `iu${flags.dotAll ? 's' : ''}${flags.multiline ? 'm' : ''}`);
      } catch {
        expect(() => compileLinear(p, flags), p).toThrow(PatternError);
        continue;
      }
      const mine = compileLinear(p, flags);
      for (let j = 0; j < 4; j++) {
        const text = randomText(r);
        expect(mine.test(text), `/${p}/ ${JSON.stringify(flags)} on ${JSON.stringify(text)}`).toBe(
          v8.test(text),
        );
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(5_000);
  });

  it('refuses back-references, look-arounds, modifiers and oversized repeats, saying why', () => {
    expect(() => compileLinear('(a)\\1')).toThrow(/refers back to a group/);
    expect(() => compileLinear('(?<x>a)\\k<x>')).toThrow(/refers back to a group/);
    for (const p of ['a(?=b)', 'a(?!b)', '(?<=a)b', '(?<!a)b'])
      expect(() => compileLinear(p)).toThrow(/look-ahead or look-behind/);
    expect(() => compileLinear('a{5000}')).toThrow(/more than 1000 times/);
    expect(() => compileLinear('(a{30}){40}')).toThrow(/too large once its repeats are written out/);
    expect(() => compileLinear('(')).toThrow(/is not a valid pattern/);
  });

  it('a text that makes more DFA states than the cache holds runs on the Pike VM with the same answers', () => {
    // (a|b)*a(a|b){12}: the DFA must remember the last 13 letters, 2^13 states on a random a/b text.
    const r = rng(7);
    const text = Array.from({ length: 1500 }, () => (r() < 0.5 ? 'a' : 'b')).join('');
    // The oracle drops the leading (a|b)*, which an unanchored search implies, so V8 need not backtrack.
    for (const [p, oracle, end] of [
      ['(a|b)*a(a|b){12}c', 'a(a|b){12}c', ''],
      ['(a|b)*a(a|b){12}c', 'a(a|b){12}c', 'c'],
      ['a(a|b){12}$', 'a(a|b){12}$', ''],
      ['a(a|b){12}$', 'a(a|b){12}$', 'ab'],
    ] as const) {
      const mine = compileLinear(p);
      const expected = new RegExp(oracle, 'iu').test(text + end);
      expect(mine.test(text + end), p + end).toBe(expected);
      // Twice: the second run starts from a dropped cache.
      expect(mine.test(text + end), p + end).toBe(expected);
    }
  });
});
