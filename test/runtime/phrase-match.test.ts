import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManifest, type BagOfWordsManifest } from '../../src/runtime/index.ts';
import { loadBagOfWordsText } from '../../src/runtime/prompt/bag-of-words.ts';
import { baseEmoji } from '../../src/runtime/prompt/emoji.ts';
import { PhraseMatcher } from '../../src/runtime/prompt/phrase-match.ts';
import { stemKey, wordForms } from '../../src/runtime/prompt/word-forms.ts';
import { MODELS_DIR } from './helpers.ts';

const dir = join(MODELS_DIR, 'emoji');
const enc = loadBagOfWordsText(dir, readManifest(dir).prompt as BagOfWordsManifest);
const read = (p: string) => enc.read(p);
/** "emoji weight" of each understood concept, variation selectors removed (as `expect(top(...)).toEqual(vs([...]))`). */
const top = (p: string) => read(p).understood.map((u) => `${baseEmoji(u.emoji!)} ${u.weight}`);
const vs = (xs: string[]) => xs.map(baseEmoji);

describe('word forms', () => {
  it('folds English plurals and tries simple inflections, most literal first', () => {
    expect(['dogs', 'boxes', 'berries', 'wolves', 'glass', 'bus'].map(stemKey)).toEqual(['dog', 'box', 'berry', 'wolf', 'glass', 'bus']);
    expect(wordForms('snowy')).toContain('snow');
    expect(wordForms('sunny')).toContain('sun');
    expect(wordForms('sleeping')).toContain('sleep');
    expect(wordForms('running')).toContain('run');
    expect(wordForms('baked')).toContain('bake');
    expect(wordForms('dog')).toEqual(['dog']);
  });
});

describe('phrase matching on the bundled emoji model', () => {
  it('reads a multi-word name as one concept: "a rocket ship" is 🚀, not 🚢 and 🚀 of equal weight', () => {
    expect(top('a rocket ship')).toEqual(vs(['🚀 1']));
    expect(top('a birthday cake with candles')).toEqual(vs(['🎂 1', '🕯️ 0.5']));
    expect(top('an old man')).toEqual(vs(['👴 1']));
    expect(top('a hot dog with mustard')[0]).toBe(baseEmoji('🌭 1'));
  });

  it('prefers the head noun: modifiers weigh less or are dropped', () => {
    expect(top('a red sports car')).toEqual(vs(['🏎️ 1']));
    expect(read('a red sports car').dropped).toEqual([{ word: 'red', why: 'modifier' }]);
    expect(top('a school bus')).toEqual(vs(['🚌 1', '🏫 0.25']));
    const puppy = read('a happy puppy');
    expect(puppy.understood.map((u) => u.emoji)).toEqual(['🐶']);
    expect(puppy.dropped).toEqual([{ word: 'happy', why: 'modifier' }]);
  });

  it('drops a measure or picture word before "of": "a cup of hot coffee" is ☕, "an oil painting of an old man" 👴', () => {
    const coffee = read('a cup of hot coffee');
    expect(top('a cup of hot coffee')).toEqual(['☕ 1']);
    expect(coffee.dropped).toEqual([
      { word: 'cup', why: 'measure' },
      { word: 'hot', why: 'modifier' },
    ]);
    const painting = read('an oil painting of an old man');
    expect(painting.understood.map((u) => u.emoji)).toEqual(['👴']);
    expect(painting.dropped.map((d) => d.word)).toEqual(['oil', 'painting']);
    // A measure word that is part of a name stays: 🍷 wine glass.
    expect(top('a glass of red wine')).toEqual(vs(['🍷 1']));
  });

  it('splits at prepositions and participles after a noun: the attached part weighs 0.5', () => {
    expect(top('a dragon breathing fire')).toEqual(vs(['🐉 1', '🔥 0.5']));
    expect(top('a man wearing a hat')).toEqual(vs(['👨 1', '🎩 0.5']));
    // "and" joins main parts of equal weight, and no name spans it.
    expect(top('a cat and a dog')).toEqual(vs(['🐈️ 1', '🐕️ 1']));
    expect(top('a rocket and a ship')).toEqual(vs(['🚀 1', '🚢 1']));
  });

  it('takes synonyms from the keywords and inflected forms: puppy, kitten, campfire, snowy', () => {
    expect(['🐱', '🐈']).toContain(baseEmoji(read('a cute kitten').understood[0].emoji!));
    expect(top('a delicious burger')).toEqual(vs(['🍔 1']));
    expect(read('a campfire').understood[0].emoji).toBe('🔥');
    expect(read('a campfire').unknown).toEqual([]);
    expect(top('a waterfall')).toEqual(vs(['🌊 1']));
    expect(top('a snowy mountain')).toEqual(vs(['🏔️ 1']));
    expect(read('a snowy mountain').unknown).toEqual([]);
  });

  it("reads words in the prompt's language first (\"beer\" is 🍺, not Dutch 🐻), and other languages still", () => {
    expect(top('a cold glass of beer')).toEqual(vs(['🍺 1']));
    expect(top('un chien')).toEqual(vs(['🐕️ 1']));
    expect(top('ロケット')).toEqual(vs(['🚀 1']));
    expect(top('🚀 and 🐶')).toEqual(vs(['🚀 1', '🐶 1']));
  });

  it('reports unknown words and understands nothing of them', () => {
    expect(read('a zorblax quux')).toEqual({ understood: [], dropped: [], unknown: ['zorblax', 'quux'] });
  });

  it('lists vocabulary entries holding the words, one per emoji, names before keywords', () => {
    const ex = enc.examples('hot coffee', 8);
    expect(ex.length).toBeGreaterThan(2);
    expect(ex.length).toBeLessThanOrEqual(8);
    expect(ex.map((e) => baseEmoji(e.emoji))).toContain('☕');
    expect(new Set(ex.map((e) => e.emoji)).size).toBe(ex.length);
    expect(enc.examples('zorblax', 8)).toEqual([]);
  });
});

describe('natural prompt lists (test/fixtures/prompts)', () => {
  const share = (name: string) => {
    const { prompts } = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'prompts', `${name}.json`), 'utf8')) as {
      prompts: { prompt: string; emoji: string[] }[];
    };
    let hits = 0;
    for (const p of prompts) {
      const [first, second] = enc.read(p.prompt).understood;
      const single = first?.emoji !== undefined && (!second || first.weight > second.weight);
      if (single && p.emoji.map(baseEmoji).includes(baseEmoji(first.emoji!))) hits++;
    }
    return { hits, n: prompts.length };
  };

  it('reads at least 80% of the held-out list as the single intended emoji (npm run eval:model prints the figures)', () => {
    const { hits, n } = share('natural-heldout');
    expect(n).toBeGreaterThanOrEqual(40);
    expect(hits / n).toBeGreaterThanOrEqual(0.8);
  });

  it('reads at least 90% of the tuning list as the single intended emoji', () => {
    const { hits, n } = share('natural-tuning');
    expect(n).toBeGreaterThanOrEqual(40);
    expect(hits / n).toBeGreaterThanOrEqual(0.9);
  });
});

describe('PhraseMatcher on hand-made entries', () => {
  const m = new PhraseMatcher([
    { emoji: '🐕', label: 'dog', locale: 'en', words: ['dog'], tags: ['pet'] },
    { emoji: '🐻', label: 'beer', locale: 'nl', words: ['beer'], tags: [] },
    { emoji: '🍺', label: 'beer mug', locale: 'en', words: ['beer', 'mug'], tags: ['beer'] },
    { emoji: '🏠', label: 'house', locale: 'en', words: ['house'], tags: [] },
  ]);
  const w = (text: string) => ({ kind: 'word' as const, text, forms: wordForms(text) });
  it('a word its language knows never takes another language\'s concept', () => {
    expect(m.read([w('beer')]).understood.map((u) => u.emoji)).toEqual(['🍺']);
    // Alone in Dutch ("beer" and "huis" are Dutch words here), it is the Dutch concept.
    expect(new PhraseMatcher([{ emoji: '🐻', label: 'beer', locale: 'nl', words: ['beer'], tags: [] }]).read([w('beer')]).understood.map((u) => u.emoji)).toEqual(['🐻']);
  });
  it('the last concept of the main part is its head; an earlier whole name weighs 0.25', () => {
    expect(m.read([w('dog'), w('house')]).understood.map((u) => `${u.emoji} ${u.weight}`)).toEqual(['🏠 1', '🐕 0.25']);
    expect(m.read([w('house'), { kind: 'break', text: 'with' }, w('dog')]).understood.map((u) => `${u.emoji} ${u.weight}`)).toEqual(['🏠 1', '🐕 0.5']);
  });
});
