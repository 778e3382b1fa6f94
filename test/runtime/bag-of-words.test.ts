import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BagOfWordsEncoder,
  loadBagOfWords,
  readManifest,
  type BagOfWordsManifest,
} from '../../src/runtime/index.ts';
import { MODELS_DIR } from './helpers.ts';

const dir = join(MODELS_DIR, 'test-tiny');
const enc = loadBagOfWords(dir, readManifest(dir).prompt as BagOfWordsManifest);

/** A hand-built vocabulary with one-hot embeddings so the mean is easy to check. */
function oneHot(): BagOfWordsEncoder {
  const tokens = ['rocket', 'dog', 'box', 'berry', 'hat', 'top', '🚀', '火', '山', '火山', '村'];
  const dim = tokens.length;
  const embeddings = new Float32Array(dim * dim);
  for (let i = 0; i < dim; i++) embeddings[i * dim + i] = 1;
  return new BagOfWordsEncoder({
    tokens,
    stopwords: ['a', 'the', 'with', 'の'],
    embeddings,
    dim,
    concepts: [
      { emoji: '🚀', label: 'rocket', tokens: [0] },
      { emoji: '🎩', label: 'top hat', tokens: [5, 4] },
      { emoji: '🐶', label: 'dog face', tokens: [1] },
    ],
  });
}

describe('bag-of-words prompt encoder', () => {
  it('maps known words to tokens and cond to the mean of their rows', () => {
    const e = oneHot();
    const p = e.encode('Rocket DOG');
    expect(e.tokenize('Rocket DOG').tokens).toEqual([0, 1]);
    expect(Array.from(p.cond.data)).toEqual([0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(p.cond.dims).toEqual([11]);
    expect(p.unknown).toEqual([]);
  });

  it('strips English plurals (dogs, boxes, berries)', () => {
    const e = oneHot();
    expect(e.tokenize('dogs boxes berries').tokens).toEqual([1, 2, 3]);
  });

  it('drops stopwords and de-duplicates tokens', () => {
    const e = oneHot();
    const t = e.tokenize('a rocket with the rocket and a dog');
    expect(t.tokens).toEqual([0, 1]);
    expect(t.unknown).toEqual(['and']);
  });

  it('reports unknown words in prompt order, once each', () => {
    const t = oneHot().tokenize('zebra rocket quokka zebra axolotl');
    expect(t.tokens).toEqual([0]);
    expect(t.unknown).toEqual(['zebra', 'quokka', 'axolotl']);
  });

  it('encodes the empty prompt (and a prompt of only unknown words) as zeros with nothing understood', () => {
    for (const text of ['', '   ', 'the a']) {
      const p = enc.encode(text);
      expect(p.cond.data.length).toBe(16);
      expect(p.cond.data.every((v) => v === 0)).toBe(true);
      expect(p.understood).toEqual([]);
      expect(p.unknown).toEqual([]);
    }
    const u = enc.encode('zzz');
    expect(u.cond.data.every((v) => v === 0)).toBe(true);
    expect(u.unknown).toEqual(['zzz']);
  });

  it('treats an emoji character as a vocabulary token, with or without VS16', () => {
    const e = oneHot();
    expect(e.tokenize('🚀').tokens).toEqual([6]);
    expect(e.tokenize('a🚀\uFE0Fdog').tokens).toEqual([6, 1]);
    expect(e.tokenize('🦄').unknown).toEqual(['🦄']);
    // the 🚀 character fully matches the rocket concept
    expect(e.encode('🚀').understood).toEqual([{ label: '🚀 rocket', weight: 1, emoji: '🚀' }]);
  });

  it('segments CJK runs by greedy longest match, grouping unmatched characters', () => {
    const e = oneHot();
    expect(e.tokenize('火山村').tokens).toEqual([9, 10]);
    expect(e.tokenize('火山の村').tokens).toEqual([9, 10]);
    const t = e.tokenize('山田村火');
    expect(t.tokens).toEqual([8, 10, 7]);
    expect(t.unknown).toEqual(['田']);
  });

  it('applies NFKC (full-width letters) before lookup', () => {
    expect(oneHot().tokenize('ＲＯＣＫＥＴ').tokens).toEqual([0]);
  });

  it('reads phrases first: a whole name beats its words, the head of the main part weighs 1, an attached part 0.5', () => {
    const p = enc.encode('an old man in a top hat');
    expect(p.understood).toEqual([
      { label: '👴 old man', weight: 1, emoji: '👴' },
      { label: '🎩 top hat', weight: 0.5, emoji: '🎩' },
    ]);
  });

  it('takes the best concept of a word no phrase covers, and drops a modifier known only as part of a name', () => {
    // "grinning smiling face" is the only name holding "smiling".
    expect(enc.encode('smiling').understood).toEqual([{ label: '😀 grinning smiling face', weight: 1, emoji: '😀' }]);
    // One concept per word: "face" picks its best-ranked concept only.
    expect(enc.encode('face').understood.map((u) => u.label)).toEqual(['🐶 dog face']);
    // "dog" is the head; "smiling" after it is a participle, not drawn.
    const p = enc.read('dog smiling');
    expect(p.understood.map((u) => u.label)).toEqual(['🐕 dog']);
    expect(p.dropped).toEqual([{ word: 'smiling', why: 'modifier' }]);
  });

  it('splits an unknown compound into two known words, and reads them as a phrase', () => {
    const p = enc.encode('rocketship');
    expect(p.unknown).toEqual([]);
    // "rocket ship" is an English name of 🚀 (aliases.ts), not 🚢 ship and 🚀 rocket.
    expect(p.understood.map((u) => u.label)).toEqual(['🚀 rocket ship']);
  });

  it('reads the test-tiny text files: vocabulary, stopwords, concepts', () => {
    const p = enc.encode('A rocket ship flying over some mountains 🔥 火山');
    // "over" is a preposition: what follows is an attached part (its head 🔥 0.5, ⛰️ a modifier 0.25).
    expect(p.unknown).toEqual(['flying']);
    expect(p.understood.map((u) => `${u.label} ${u.weight}`)).toEqual(['🚀 rocket ship 1', '🔥 fire 0.5', '⛰️ mountain 0.25']);
    expect(Array.from(p.cond.data).some((v) => v !== 0)).toBe(true);
  });
});
