import { describe, expect, it } from 'vitest';
import {
  blockAverage,
  coarsePriorRefiner,
  posteriorWeights,
  withCoarsePrior,
} from '../../src/diffusion/coarse-prior.ts';
import { oneStep } from '../../src/diffusion/forward.ts';
import { cfg, conditional } from '../../src/diffusion/guidance.ts';
import { sampleLoop } from '../../src/diffusion/loop.ts';
import { createRng } from '../../src/diffusion/rng.ts';
import { abarAt, makeSchedule } from '../../src/diffusion/schedule.ts';
import type { DenoiserOutput, Estimator, Shape } from '../../src/diffusion/types.ts';
import { cond, image, promptEps, recording, studyLoop } from './helpers.ts';

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

describe('coarse data prior: layout of the block averages', () => {
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
    expect(refine(high, xt, 900, 0.01)).toBe(true);
    const avg = blockAverage(high, SHAPE, SIZE);
    for (let j = 0; j < PER; j++) expect(avg[j]).toBeCloseTo(t[j], 5);
    // Detail within each block is kept: the difference from x0 is constant per block.
    expect(high[1] - x0[1]).toBeCloseTo(high[0] - x0[0], 5);
    const low = x0.slice();
    expect(refine(low, xt, 300, 0.5)).toBe(false);
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

describe('coarse data prior as an estimator wrapper', () => {
  const schedule = makeSchedule({ beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000 });
  const layout = tiles(); // tile 0 only (weights [1, 0]): the prior's layout is known exactly
  const refine = coarsePriorRefiner({ shape: SHAPE, size: SIZE, tiles: layout, weights: [1, 0], fromT: 800, toT: 300 })!;

  /** One step of an estimator at x_t, t with the prompt-dependent test denoiser. */
  async function estimate(est: Estimator, x: Float32Array, t: number): Promise<{ out: DenoiserOutput; requests: number }> {
    const rec = recording(promptEps(schedule, SHAPE, true));
    const reqs = est.requests(x, t);
    return { out: est.combine(await rec.denoiser(t, reqs)), requests: reqs.length };
  }

  /** Squared distance of an image's block averages from the layout tile. */
  const offLayout = (a: Float32Array) => {
    const avg = blockAverage(a, SHAPE, SIZE);
    let d = 0;
    for (let j = 0; j < PER; j++) d += (avg[j] - layout[j]) ** 2;
    return d;
  };

  /** Asserts that the wrapped estimate's x0 is the inner estimate's x0 with the refiner applied, and closer to the layout. */
  async function expectRefined(inner: () => Estimator, x: Float32Array, t: number) {
    const abar = abarAt(schedule, t);
    const { out, requests } = await estimate(withCoarsePrior(inner(), refine, schedule), x, t);
    const plain = (await estimate(inner(), x, t)).out;
    const x0 = oneStep(x, out.eps, abar, true);
    const byHand = oneStep(x, plain.eps, abar, true);
    const before = offLayout(byHand);
    refine(byHand, x, t, abar);
    // eps round trip: within float rounding of the refined x0.
    for (let i = 0; i < x0.length; i++) expect(x0[i]).toBeCloseTo(byHand[i], 5);
    expect(offLayout(x0)).toBeLessThan(0.5 * before); // not all the way: the refiner clips x0 to [-1, 1]
    expect(out.varValues).toEqual(plain.varValues);
    return requests;
  }

  it('replaces the block averages of the guided x0 estimate with the layout from fromT up, and converts back to eps', async () => {
    await expectRefined(() => cfg(cond(1), cond(0), 3), image(SHAPE, 7), 900);
  });

  it('passes the inner estimate through unchanged below toT', async () => {
    const x = image(SHAPE, 4);
    const wrapped = await estimate(withCoarsePrior(cfg(cond(1), cond(0), 3), refine, schedule), x, 200);
    const plain = await estimate(cfg(cond(1), cond(0), 3), x, 200);
    expect(Array.from(wrapped.out.eps)).toEqual(Array.from(plain.out.eps));
  });

  it('guidance 0 (conditional estimate, one request) and a negative prompt as CFG uncond both get the layout', async () => {
    const x = image(SHAPE, 9);
    expect(await expectRefined(() => conditional(cond(1)), x, 850)).toBe(1);
    expect(await expectRefined(() => cfg(cond(1), cond(2), 3), x, 850)).toBe(2);
    // Below the layout, the negative prompt (cond 2 as uncond) still steers the estimate.
    const low = await estimate(withCoarsePrior(cfg(cond(1), cond(2), 3), refine, schedule), x, 100);
    const lowEmpty = await estimate(withCoarsePrior(cfg(cond(1), cond(0), 3), refine, schedule), x, 100);
    expect(Array.from(low.out.eps)).not.toEqual(Array.from(lowEmpty.out.eps));
  });

  it('works in the plain sampling loop, which has no prior hook: the sample ends closer to the layout than without it', async () => {
    // The network pulls every prompt towards image(cond id); the prior pulls block averages to tile 0.
    const run = async (est: Estimator) => {
      const rec = recording(promptEps(schedule, SHAPE));
      return sampleLoop({
        x: createRng(5).normal(3 * 8 * 8),
        ...studyLoop(33),
        estimator: est,
        denoiser: rec.denoiser,
        rng: createRng(6),
      });
    };
    const without = await run(conditional(cond(1)));
    const withPrior = await run(withCoarsePrior(conditional(cond(1)), refine, schedule));
    expect(offLayout(withPrior)).toBeLessThan(offLayout(without));
  });

  it('refuses combine before requests', () => {
    expect(() => withCoarsePrior(conditional(cond(1)), refine, schedule).combine([])).toThrow(/before requests/);
  });
});
