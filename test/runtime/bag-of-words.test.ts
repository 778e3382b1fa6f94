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

  it('ranks understood concepts: full matches only when there are any, shorter label first', () => {
    const p = enc.encode('an old man in a top hat');
    expect(p.understood.map((u) => u.label)).toEqual(['👨 man', '🎩 top hat', '👴 old man']);
    expect(p.understood.every((u) => u.weight === 1)).toBe(true);
  });

  it('adds the best partial match (score >= 0.5) of each word no full match covers', () => {
    const p = enc.encode('smiling');
    // "grinning smiling face" has 2 label tokens in the vocabulary (smiling, face): 1/2.
    expect(p.understood).toEqual([{ label: '😀 grinning smiling face', weight: 0.5, emoji: '😀' }]);
    // One concept per uncovered word: "face" picks its best-ranked concept only.
    expect(enc.encode('face').understood.map((u) => u.label)).toEqual(['🐶 dog face']);
    // "dog" is covered by a full match; "smiling" still gets its partial match.
    expect(enc.encode('dog smiling').understood.map((u) => u.label)).toEqual(['🐕 dog', '😀 grinning smiling face']);
  });

  it('splits an unknown compound into two known words', () => {
    const p = enc.encode('rocketship');
    expect(p.unknown).toEqual([]);
    expect(p.understood.map((u) => u.label)).toEqual(['🚢 ship', '🚀 rocket']);
  });

  it('reads the test-tiny text files: vocabulary, stopwords, concepts', () => {
    const p = enc.encode('A rocket ship flying over some mountains 🔥 火山');
    expect(p.unknown).toEqual(['flying', 'over']);
    expect(p.understood.map((u) => u.label)).toEqual(['🚢 ship', '🔥 fire', '🚀 rocket', '⛰️ mountain']);
    expect(Array.from(p.cond.data).some((v) => v !== 0)).toBe(true);
  });
});
