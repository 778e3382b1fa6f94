// Content rules that match what the model draws: the red-team corpus (plurals, `_`/`-`/camelCase,
// look-alike and invisible characters, emoji glyphs with and without variation selectors, the
// bundled model's languages, synonyms) submitted through the real engine with the bundled emoji
// model and its inference process; every prompt that names a banned concept is refused, and a list
// of ordinary prompts is accepted except where the model's encoder itself understands a banned
// concept. Prints the figures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_REFUSAL, compileRule, ContentRules } from '../../src/engine/content-rules.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { conceptIndexOf } from '../../src/inference/concept-answers.ts';
import type { ConceptAnswer } from '../../src/inference/concept-client.ts';
import { MODELS_DIR, testConfig } from './helpers.ts';

const RULES = 'skull, heart, fire truck, gun';

/** Prompts that name a banned concept: each must be refused. */
const BANNED: Record<string, string[]> = {
  // The finding, word for word.
  finding: ['a skulls', 'a skull_face', 'a 💀', 'a totenkopf', 'a calavera', 'un teschio', 'a ❤️', 'a herz', 'a 🚒', 'a pistol', 'a 🔫'],
  plurals: ['two skulls', 'many hearts', 'three fire trucks', 'guns on a table', 'a pile of Skulls', 'fire trucks parked'],
  separators: ['skull-face', 'SkullFace', 'fire_truck', 'fire-truck', 'FireTruck', 'a big_gun', 'HeartShaped box', 'heart_eyes', 'skull9', 'GUNS!'],
  lookalikes: ['a ѕkull', 'a sk\u200bull', 'sku\u00adll', 'a ＳＫＵＬＬ', 'a ｇｕｎ', 'a hеart', 'a ɢun', 'a fire\u2060truck'],
  glyphs: ['💀', '💀\ufe0f', '❤️', '❤', '❤\ufe0e', '🚒', '🔫', '☠️', '☠', '♥️', '♥', '💔', '🩷', '❤️‍🔥', '🫀', 'a ☠ flag', 'I ❤ NY'],
  // The model's languages: German, Spanish, French, Italian, Portuguese, Dutch, Polish, Russian, Japanese, Korean, Chinese, Swedish.
  translations: [
    'ein totenkopf', 'una calavera', 'un crâne', 'un teschio', 'uma caveira', 'een schedel', 'czaszka', 'череп', 'ドクロ', '해골', '头骨', 'en dödskalle',
    'ein herz', 'un corazón', 'un cœur', 'un cuore', 'um coração', 'een hart', 'serce', 'сердце', 'ハート', '하트', 'ett hjärta',
    'ein feuerwehrauto', 'un coche de bomberos', 'un camion dei pompieri', 'um carro dos bombeiros', 'een brandweerauto', 'samochód strażacki', 'пожарная машина', '消防車', '소방차', '消防车', 'en brandbil',
    'eine wasserpistole', 'una pistola de agua', 'un pistolet à eau', 'una pistola ad acqua', 'een waterpistool', 'водяной пистолет', '水鉄砲', '물총', '水枪', 'en vattenpistol',
  ],
  synonyms: ['a pistol', 'a water pistol', 'a fire engine', 'a skull and crossbones', 'a broken heart', 'a sparkling heart', 'a pistola'],
};

/** Ordinary prompts that name no banned concept. */
const ORDINARY = [
  'a dog', 'a cat', 'a rocket ship', 'a waterfall', 'a man wearing a hat', 'an old man', 'a pencil', 'a house', 'a fire', 'a campfire',
  'a truck', 'a pickup truck', 'a birthday cake', 'a sunflower', 'a pizza', 'a red apple', 'a smiling face', 'a happy face', 'a love letter',
  'a water bottle', 'a rainbow', 'a snowman', 'a ghost', 'a pumpkin', 'a bone', 'a tree', 'a star', 'a moon', 'a sun', 'a book', 'a guitar',
  'a robot', 'an alien', 'a unicorn', 'a dragon', 'a fish', 'a boat', 'a train', 'an airplane', 'a bicycle', 'a hammer', 'a key', 'a lock',
  'a bell', 'a gift', 'a balloon', 'a clock', 'a camera', 'a phone', 'a computer', 'a kiss', 'a fire extinguisher', 'a firefighter', 'water',
  'a hot dog', 'a skeleton', 'a cup of coffee', 'a banana', 'an owl', 'a penguin', 'a volcano', 'a snowflake', 'a lightning bolt', 'a crown',
  'a diamond', 'a trophy', 'a soccer ball', 'a pirate', 'a wizard', 'a mermaid', 'a vampire', 'a zombie', 'a castle', 'a tent', 'a bus',
  'a police car', 'an ambulance', 'a tractor', 'a rose', 'a tulip', 'a cactus', 'a mushroom', 'a frog', 'a bee', 'a butterfly', 'a dolphin',
  'a whale', 'an octopus', 'a crab', 'a chicken', 'a cow', 'a pig', 'a horse', 'a lion', 'a tiger', 'a panda', 'a koala', 'un chien',
  'ein Hund', 'un gato', 'un chat', 'a fire dragon', 'a bomb', 'a knife', 'a sword', 'a shield', 'a bow and arrow', 'a red car', 'a red rose',
  'a red balloon', 'sparkling water', 'a broken glass', 'two cats', 'a beating drum', 'a green apple', 'a blue car', 'a yellow star',
  'a purple flower', 'a black cat', 'a white dog', 'a skullcap', 'a shotgun wedding', 'gunnar the viking', 'the heartland', 'a hearty soup',
];

/**
 * Ordinary prompts the bundled model's encoder understands as a banned concept, so they are refused
 * (the coarse prior would draw that concept). None: a modifier known only as part of a name or as a
 * keyword ("red" of ❤️ red heart, "broken" of 💔, "two" of 💕 two hearts) is not drawn, so "a red
 * car" is a car (src/runtime/prompt/phrase-match.ts). Before phrase matching 9 of these were refused.
 */
const UNDERSTOOD_AS_BANNED: string[] = [];

const owner = { platform: 'discord', userId: 'u1', channelRef: 'c1', serverId: 'g1' };

describe('content rules: text normalisation', () => {
  it('splits on _, dashes, camelCase and invisible characters, folds plurals, NFKC and Latin look-alikes', () => {
    const skull = compileRule('skull');
    for (const p of ['skulls', 'a skull_face', 'SkullFace', 'skull-face', 'a ѕkull', 'a sk\u200bull', 'a ＳＫＵＬＬ', 'skull9'])
      expect(skull.test(p), p).toBe(true);
    for (const p of ['a skullcap', 'numbskull', 'a sk ull']) expect(skull.test(p), p).toBe(false);
    expect(compileRule('berry').test('three berries')).toBe(true);
    expect(compileRule('knives').test('a knife')).toBe(true);
    expect(compileRule('fire truck').test('FireTrucks')).toBe(true);
    expect(compileRule('fire truck').test('a fire\u2060truck')).toBe(true);
    // A rule written in another script is folded the same way, so it still matches its own words.
    expect(compileRule('череп').test('ЧЕРЕП')).toBe(true);
    // /patterns/ still see the plain text too (a pattern with a dash or _ keeps working).
    expect(compileRule('/sk_ll/').test('sk_ll')).toBe(true);
    expect(compileRule('/sku+ll/').test('a ѕkuuull')).toBe(true);
  });

  it('a rule applies to concepts only as a word or phrase, and a lookup that cannot answer refuses the job', async () => {
    const rules = new ContentRules(['zorb', '/ro+cket/'], null);
    expect(rules.wordsFor(owner)).toEqual(['zorb']);
    const down = async (): Promise<ConceptAnswer> => ({ ok: false, error: 'the inference worker stopped' });
    const errors: string[] = [];
    expect(await rules.checkConcepts({ prompt: 'a ship' }, owner, down, (e) => errors.push(e))).toMatchObject({
      ok: false,
      code: 'unavailable',
    });
    expect(errors).toEqual(['the inference worker stopped']);
    const none = async (): Promise<ConceptAnswer> => ({ ok: true, banned: [], known: true });
    expect(await rules.checkConcepts({ prompt: 'a ship' }, owner, none)).toBeNull();
  });

  it('a model without concepts (CLIP-encoded) gets the text rules only', () => {
    expect(conceptIndexOf('tiny-sd', MODELS_DIR)).toBeNull();
    expect(conceptIndexOf('emoji', MODELS_DIR)?.conceptsOfRule('gun')).toEqual(new Set(['🔫']));
  });
});

describe('content rules: the concept corpus through the engine and the bundled model', () => {
  let engine: LocalEngine;
  beforeAll(async () => {
    engine = createEngine(
      testConfig({ MODEL: 'emoji', CONTENT_RULES: RULES, USER_MAX_PENDING: '1000', QUEUE_MAX: '1000' }),
      { defaultMetrics: false },
    );
    // The model loaded first: a concept question asked while it loads waits behind the load (and, past
    // its time limit, refuses the job as "cannot check the rules now", which is not what is measured here).
    await engine.modelInfo();
  }, 120_000);
  afterAll(async () => {
    await engine.close();
  });

  // Accepted jobs (one step each) queue behind each other; the engine's close ends them.
  const submit = (prompt: string, who = owner) => engine.submit({ technique: 'imagine', prompt, steps: 1 }, who);

  it('refuses every prompt that names a banned concept', { timeout: 120_000 }, async () => {
    const missed: string[] = [];
    let total = 0;
    for (const [group, prompts] of Object.entries(BANNED)) {
      for (const p of prompts) {
        total++;
        const r = await submit(p);
        if (r.ok || r.code !== 'content_rule') missed.push(`${group}: ${p}`);
        else expect(r.message).toBe(CONTENT_REFUSAL);
      }
    }
    console.log(`content-rule corpus: ${total - missed.length}/${total} refused (rules: ${RULES})`);
    expect(missed).toEqual([]);
  });

  it('accepts ordinary prompts, except those the encoder understands as a banned concept', { timeout: 120_000 }, async () => {
    const refused: string[] = [];
    for (const p of ORDINARY) {
      const r = await submit(p);
      if (!r.ok) {
        expect(r.code, p).toBe('content_rule');
        refused.push(p);
      }
    }
    console.log(
      `ordinary prompts: ${ORDINARY.length - refused.length}/${ORDINARY.length} accepted, ${refused.length} refused (${((100 * refused.length) / ORDINARY.length).toFixed(1)}%): ${refused.join('; ')}`,
    );
    expect(refused).toEqual(UNDERSTOOD_AS_BANNED);
  });

  it('a server list applies to concepts too, for that server only', { timeout: 60_000 }, async () => {
    engine.settings.update('server', 'discord', 'g1', { banned: ['dog'] });
    expect(await submit('un chien')).toMatchObject({ ok: false, code: 'content_rule' });
    expect(await submit('🐕')).toMatchObject({ ok: false, code: 'content_rule' });
    expect((await submit('un chien', { ...owner, serverId: 'g2', channelRef: 'c2' })).ok).toBe(true);
  });
});

describe('content rules: what a rule names in the bundled model', () => {
  it('names in every language first, tags when no name holds the words, emoji glyphs, unknown words none', () => {
    const index = conceptIndexOf('emoji', MODELS_DIR)!;
    expect(index.conceptsOfRule('skull')).toEqual(new Set(['💀', '☠']));
    expect(index.conceptsOfRule('Skulls')).toEqual(new Set(['💀', '☠']));
    expect(index.conceptsOfRule('fire truck')).toEqual(new Set(['🚒']));
    expect(index.conceptsOfRule('totenkopf')).toEqual(new Set(['💀', '☠'])); // ☠️ is "totenkopf gekreuzten knochen"
    const hearts = index.conceptsOfRule('heart');
    for (const e of ['❤', '♥', '💔', '💕', '❤\u200d🔥']) expect(hearts.has(e), e).toBe(true);
    // A name holds the word, so tags are not consulted: 🏠 house (tagged "heart") is not a heart.
    expect(hearts.has('🏠')).toBe(false);
    expect(index.conceptsOfRule('❤️')).toEqual(new Set(['❤']));
    expect(index.conceptsOfRule('💀 face')).toEqual(new Set(['💀']));
    expect(index.conceptsOfRule('zorblax')).toEqual(new Set());
    expect(index.conceptsOfRule('the')).toEqual(new Set());
    // A prompt's concepts are what the encoder understood, skin tones and variation selectors folded.
    expect(index.conceptsOfPrompt('un teschio')).toEqual(new Set(['💀']));
    expect(index.conceptsOfPrompt('a 👍🏽')).toEqual(new Set(['👍']));
    expect(index.banned(['a dog', 'a pistol'], ['gun'])).toEqual(['🔫']);
    expect(index.banned(['a dog'], ['gun'])).toEqual([]);
  });
});
