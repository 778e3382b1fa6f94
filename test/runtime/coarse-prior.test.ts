import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conceptsForPrior, loadCoarsePrior, tileWeights } from '../../src/runtime/coarse-prior.ts';
import { readManifest } from '../../src/runtime/manifest.ts';
import { loadPromptEncoder } from '../../src/runtime/prompt/encoder.ts';
import { ModelError } from '../../src/runtime/errors.ts';

const emojiDir = join(import.meta.dirname, '..', '..', 'models', 'emoji');

describe('tile weights', () => {
  const emoji = ['👍', '👍🏽', '👍🏿', '🚀', '🚀', '❤️'];

  it('shares a concept weight among its tiles; a tone-less concept takes every tone, a toned one only its own', () => {
    expect(tileWeights(emoji, [{ label: '👍 thumbs up', weight: 1, emoji: '👍' }])).toEqual([
      1 / 3, 1 / 3, 1 / 3, 0, 0, 0,
    ]);
    expect(tileWeights(emoji, [{ label: '👍🏽 thumbs up: medium skin tone', weight: 1, emoji: '👍🏽' }])).toEqual([
      0, 1, 0, 0, 0, 0,
    ]);
    const two = tileWeights(emoji, [
      { label: '🚀 rocket', weight: 1, emoji: '🚀' },
      { label: '❤ red heart', weight: 0.5, emoji: '❤' },
    ]);
    expect(two).toEqual([0, 0, 0, 0.5, 0.5, 0.5]);
  });

  it('gives nothing to concepts without an emoji or weight', () => {
    expect(tileWeights(emoji, [{ label: 'rocket', weight: 1 }]).every((w) => w === 0)).toBe(true);
    expect(tileWeights(emoji, [{ label: '🚀 rocket', weight: 0, emoji: '🚀' }]).every((w) => w === 0)).toBe(true);
  });
});

describe('concepts for the prior with a negative prompt', () => {
  const rocket = { label: '🚀 rocket', weight: 0.5, emoji: '🚀' };
  const ship = { label: '🚢 ship', weight: 0.5, emoji: '🚢' };
  const toned = { label: '👍🏽 thumbs up: medium skin tone', weight: 1, emoji: '👍🏽' };

  it('leaves out the concepts the negative prompt names and keeps the others', () => {
    expect(conceptsForPrior([rocket, ship], [ship])).toEqual([rocket]);
    expect(conceptsForPrior([rocket, ship], [])).toEqual([rocket, ship]);
    expect(conceptsForPrior([rocket], [rocket])).toEqual([]);
  });

  it('a tone-less negative removes every tone, a toned one only its own; concepts without an emoji stay', () => {
    expect(conceptsForPrior([toned], [{ label: '👍 thumbs up', weight: 1, emoji: '👍' }])).toEqual([]);
    expect(conceptsForPrior([toned], [{ label: '👍🏿 thumbs up: dark skin tone', weight: 1, emoji: '👍🏿' }])).toEqual([toned]);
    expect(conceptsForPrior([{ label: 'rocket', weight: 1 }], [rocket])).toEqual([{ label: 'rocket', weight: 1 }]);
  });
});

describe('the bundled model\'s coarse prior', () => {
  const manifest = readManifest(emojiDir);
  const shape = { ...manifest.sample };

  it('loads 16x16 tiles of the training images in [-1, 1] with one emoji each', async () => {
    const prior = await loadCoarsePrior(emojiDir, manifest.prior!, shape);
    expect(prior.size).toBe(16);
    expect(prior.emoji.length).toBeGreaterThan(10000);
    expect(prior.tiles).toHaveLength(prior.emoji.length * 3 * 16 * 16);
    let min = Infinity;
    let max = -Infinity;
    for (const v of prior.tiles) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(-1);
    expect(max).toBe(1); // the white background
    // Noto, Twemoji and Fluent each draw the rocket.
    expect(prior.emoji.filter((e) => e === '🚀')).toHaveLength(3);
  });

  it('has a refiner for understood concepts with training images, and none for held-out ones', async () => {
    const prior = await loadCoarsePrior(emojiDir, manifest.prior!, shape);
    const encoder = loadPromptEncoder(emojiDir, manifest.prompt);
    expect(prior.forConcepts(encoder.encode('a rocket ship').understood)).toBeTypeOf('function');
    expect(prior.forConcepts(encoder.encode('zorblax').understood)).toBeUndefined();
    // A held-out emoji (in the vocabulary, not in the training images), named by its character.
    const base = (e: string) => e.replace(/[\u{1F3FB}-\u{1F3FF}]|\uFE0E|\uFE0F/gu, '');
    const trained = new Set(prior.emoji.map(base));
    const concepts = JSON.parse(readFileSync(join(emojiDir, 'text', 'concepts.json'), 'utf8')) as { emoji: string }[];
    const heldOut = concepts.find((c) => !trained.has(base(c.emoji)) && !c.emoji.includes('\u200D'))!;
    const understood = encoder.encode(heldOut.emoji).understood;
    expect(understood.map((u) => u.emoji)).toEqual([heldOut.emoji]);
    expect(prior.forConcepts(understood)).toBeUndefined();
  });

  it('names the file when the index does not match the atlas', async () => {
    await expect(
      loadCoarsePrior(emojiDir, { ...manifest.prior!, index: 'model.json' }, shape),
    ).rejects.toThrow(ModelError);
    await expect(loadCoarsePrior(emojiDir, manifest.prior!, { channels: 3, height: 60, width: 60 })).rejects.toThrow(
      /do not fit/,
    );
  });
});
