import { describe, expect, it } from 'vitest';
import { cfg, conditional } from '../../src/diffusion/guidance.ts';
import { sampleLoop } from '../../src/diffusion/loop.ts';
import { createRng } from '../../src/diffusion/rng.ts';
import { makeSchedule, stridedTimesteps } from '../../src/diffusion/schedule.ts';
import { planFrom } from '../../src/diffusion/recipes/common.ts';
import { ddpmStep, posteriorVariance } from '../../src/diffusion/step.ts';
import { SHAPE, cond, image, maxAbsDiff, optimalEps, promptEps, recording, studyLoop } from './helpers.ts';

const schedule = makeSchedule({ beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000 });
const n = SHAPE.channels * SHAPE.height * SHAPE.width;

describe('ddpmStep', () => {
  it('is the posterior mean without noise and matches the formula', () => {
    const at = schedule.alphasCumprod[600];
    const ap = schedule.alphasCumprod[570];
    const xt = Float32Array.of(0.3);
    const x0 = Float32Array.of(-0.5);
    const alpha = at / ap;
    const beta = 1 - alpha;
    const expected =
      (Math.sqrt(ap) * beta * -0.5) / (1 - at) + (Math.sqrt(alpha) * (1 - ap) * 0.3) / (1 - at);
    expect(ddpmStep({ xt, x0, abarT: at, abarPrev: ap })[0]).toBeCloseTo(expected, 6);
    const z = Float32Array.of(1);
    const withNoise = ddpmStep({ xt, x0, abarT: at, abarPrev: ap, noise: z })[0];
    expect(withNoise - expected).toBeCloseTo(Math.sqrt(posteriorVariance(at, ap)), 6);
    // learned_range endpoints: v = -1 gives beta_tilde, v = +1 gives beta
    expect(
      ddpmStep({ xt, x0, abarT: at, abarPrev: ap, noise: z, varValues: Float32Array.of(-1) })[0],
    ).toBeCloseTo(withNoise, 6);
    expect(
      ddpmStep({ xt, x0, abarT: at, abarPrev: ap, noise: z, varValues: Float32Array.of(1) })[0] - expected,
    ).toBeCloseTo(Math.sqrt(beta), 6);
  });
});

describe('sampleLoop', () => {
  it('with the optimal denoiser of a one-image dataset converges to that image', async () => {
    const img = image(SHAPE, 1);
    const rec = recording(optimalEps(schedule, img));
    const out = await sampleLoop({
      x: createRng(1).normal(n),
      ...studyLoop(),
      estimator: conditional(cond(0)),
      denoiser: rec.denoiser,
      rng: createRng(2),
    });
    expect(maxAbsDiff(out, img)).toBeLessThan(1e-2);
    expect(rec.calls).toEqual(new Array(33).fill(1));
    expect(rec.batches.map((b) => b.t)).toEqual(stridedTimesteps().slice(0, 33));
  });

  it('issues one denoiser call per step with every request (CFG: 2) and reports progress', async () => {
    const rec = recording(promptEps(schedule, SHAPE));
    const seen: Array<[number, number, number]> = [];
    const study = studyLoop();
    await sampleLoop({
      x: createRng(1).normal(n),
      sampler: study.sampler,
      plan: planFrom(study.plan, 20),
      estimator: cfg(cond(1), cond(0), 7),
      denoiser: rec.denoiser,
      rng: createRng(2),
      onStep: (i) => void seen.push([i.index, i.t, i.tNext]),
    });
    expect(rec.calls).toEqual(new Array(13).fill(2));
    expect(rec.batches[0].batch.map((r) => r.cond.data[0])).toEqual([1, 0]);
    expect(seen[0]).toEqual([0, 390, 360]);
    expect(seen[12]).toEqual([12, 30, 0]);
  });

  it('stops within one step when aborted', async () => {
    const ac = new AbortController();
    const rec = recording(promptEps(schedule, SHAPE));
    const run = sampleLoop({
      x: createRng(1).normal(n),
      ...studyLoop(),
      estimator: conditional(cond(1)),
      denoiser: rec.denoiser,
      rng: createRng(2),
      signal: ac.signal,
      onStep: (i) => {
        if (i.index === 2) ac.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(rec.calls).toHaveLength(3);
  });

  it('an abort during the denoiser call ends the loop after that call', async () => {
    const ac = new AbortController();
    let calls = 0;
    const run = sampleLoop({
      x: createRng(1).normal(n),
      ...studyLoop(),
      estimator: conditional(cond(1)),
      denoiser: async (t, batch) => {
        calls++;
        ac.abort();
        return batch.map((r) => promptEps(schedule, SHAPE)(t, r));
      },
      rng: createRng(2),
      signal: ac.signal,
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(calls).toBe(1);
  });

  it('learned variance changes the trajectory and stays finite', async () => {
    const traj: Float32Array[][] = [[], []];
    const run = (withVar: boolean) =>
      sampleLoop({
        onStep: (i) => void traj[withVar ? 1 : 0].push(i.x),
        x: createRng(1).normal(n),
        ...studyLoop(),
        estimator: cfg(cond(1), cond(0), 3),
        denoiser: recording(promptEps(schedule, SHAPE, withVar)).denoiser,
        rng: createRng(2),
      });
    const fixed = await run(false);
    const learned = await run(true);
    expect(learned.every(Number.isFinite)).toBe(true);
    expect(fixed.every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(fixed, learned)).toBeGreaterThan(0);
    // sigma^2 = beta (v = 1) vs beta_tilde: the noisy trajectories separate
    expect(Math.max(...traj[0].map((x, i) => maxAbsDiff(x, traj[1][i])))).toBeGreaterThan(0.03);
  });

  it('rejects a denoiser that returns the wrong number of outputs', async () => {
    await expect(
      sampleLoop({ x: new Float32Array(n), ...studyLoop(2), estimator: conditional(cond(1)), rng: createRng(1), denoiser: async () => [] }),
    ).rejects.toThrow(/0 outputs for 1/);
  });
});
