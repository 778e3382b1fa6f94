import { describe, expect, it } from 'vitest';
import {
  blockAverage,
  coarsePriorRefiner,
  posteriorWeights,
} from '../../src/diffusion/coarse-prior.ts';
import type { Shape } from '../../src/diffusion/types.ts';
import { image } from './helpers.ts';

const SHAPE: Shape = { channels: 3, height: 8, width: 8 };
const SIZE = 2;
const PER = 3 * SIZE * SIZE;

/** Two distinct 2x2 RGB tiles in [-1, 1]. */
function tiles(): Float32Array {
  const t = new Float32Array(2 * PER);
  for (let j = 0; j < PER; j++) {
    t[j] = -0.5 + 0.08 * j;
    t[PER + j] = 0.5 - 0.08 * j;
  }
  return t;
}

describe('coarse data prior', () => {
  it('averages 4x4 blocks of an 8x8 image', () => {
    const x = image(SHAPE, 1);
    const b = blockAverage(x, SHAPE, SIZE);
    let s = 0;
    for (let y = 0; y < 4; y++) for (let px = 4; px < 8; px++) s += x[(1 * 8 + y) * 8 + px];
    expect(b).toHaveLength(PER);
    expect(b[(1 * SIZE + 0) * SIZE + 1]).toBeCloseTo(s / 16, 6);
  });

  it('puts the posterior on the tile x_t was made from, and follows the prior weights when x_t says nothing', () => {
    const t = tiles();
    const second = t.subarray(PER);
    const pooled = Float32Array.from(second, (v) => Math.sqrt(0.5) * v);
    const w = posteriorWeights(pooled, t, [1, 1], 0.5, 16);
    expect(w[1]).toBeGreaterThan(0.999);
    // abar ~ 0: the likelihood is flat, so the weights are the normalised prior weights.
    const flat = posteriorWeights(new Float32Array(PER), t, [3, 1], 1e-9, 16);
    expect(flat[0]).toBeCloseTo(0.75, 6);
    expect(flat[1]).toBeCloseTo(0.25, 6);
    const zero = posteriorWeights(pooled, t, [0, 1], 0.5, 16);
    expect(Array.from(zero)).toEqual([0, 1]);
  });

  it('sets the block averages of x0 to the posterior mean from fromT up and leaves x0 alone below toT', () => {
    const t = tiles();
    const refine = coarsePriorRefiner({ shape: SHAPE, size: SIZE, tiles: t, weights: [1, 0], fromT: 800, toT: 300 })!;
    const x0 = image(SHAPE, 2).map((v) => v * 0.5);
    const xt = image(SHAPE, 3);
    const high = x0.slice();
    refine(high, xt, 900, 0.01);
    const avg = blockAverage(high, SHAPE, SIZE);
    for (let j = 0; j < PER; j++) expect(avg[j]).toBeCloseTo(t[j], 5);
    // Detail within each block is kept: the difference from x0 is constant per block.
    expect(high[1] - x0[1]).toBeCloseTo(high[0] - x0[0], 5);
    const low = x0.slice();
    refine(low, xt, 300, 0.5);
    expect(Array.from(low)).toEqual(Array.from(x0));
    // Half way between toT and fromT: half of the shift.
    const mid = x0.slice();
    refine(mid, xt, 550, 0.2);
    const before = blockAverage(x0, SHAPE, SIZE)[0];
    expect(blockAverage(mid, SHAPE, SIZE)[0]).toBeCloseTo(before + 0.5 * (t[0] - before), 5);
  });

  it('is absent without weighted tiles and rejects tiles that do not fit', () => {
    expect(coarsePriorRefiner({ shape: SHAPE, size: SIZE, tiles: tiles(), weights: [0, 0], fromT: 800, toT: 300 })).toBeUndefined();
    expect(() =>
      coarsePriorRefiner({ shape: SHAPE, size: 3, tiles: tiles(), weights: [1, 1], fromT: 800, toT: 300 }),
    ).toThrow(/multiple of 3/);
    expect(() =>
      coarsePriorRefiner({ shape: SHAPE, size: SIZE, tiles: tiles(), weights: [1], fromT: 800, toT: 300 }),
    ).toThrow(/tile values/);
    expect(() =>
      coarsePriorRefiner({ shape: SHAPE, size: SIZE, tiles: tiles(), weights: [1, 1], fromT: 300, toT: 300 }),
    ).toThrow(/fromT/);
  });
});
