// Flow matching with Euler steps (FlowMatchEulerDiscreteScheduler, SD3): the plan against a reference
// port of diffusers' set_timesteps written here from its source (the training sigmas built in full,
// then the inference ones), the straight-line path of an exact velocity model, SDEdit and inpainting
// on flow levels, and the refusal to mix flow and VP samplers and models.
import { describe, expect, it } from 'vitest';
import { sample, sdedit, inpaint } from '../../src/diffusion/recipes/index.ts';
import { createRng } from '../../src/diffusion/rng.ts';
import { createSampler } from '../../src/diffusion/samplers/registry.ts';
import { makeSchedule } from '../../src/diffusion/schedule.ts';
import type { DenoiserRequest } from '../../src/diffusion/types.ts';
import { SHAPE, cond, image, maxAbsDiff, recording } from './helpers.ts';

const SD3 = { _class_name: 'FlowMatchEulerDiscreteScheduler', num_train_timesteps: 1000, shift: 3.0 };
const schedule = makeSchedule({ num_train_timesteps: 1000 });
const f32 = Math.fround;

/** Reference port of FlowMatchEulerDiscreteScheduler.__init__ + set_timesteps (no dynamic shifting). */
function refFlow(T: number, shift: number, n: number): { timesteps: number[]; sigmas: number[] } {
  const shifted = (s: number) => (shift * s) / (1 + (shift - 1) * s);
  const train = Array.from({ length: T }, (_, i) => f32(shifted(f32((T - i) / T))));
  const [sMax, sMin] = [train[0], train[T - 1]];
  const lin = Array.from({ length: n }, (_, i) => (n === 1 ? sMax * T : sMax * T + (i * (sMin * T - sMax * T)) / (n - 1)));
  const sigmas = lin.map((t) => f32(shifted(t / T)));
  return { timesteps: sigmas.map((s) => f32(s * T)), sigmas: [...sigmas, 0] };
}

/** The exact velocity of a one-image dataset on x = (1 - s) img + s eps: v = (x - img) / s. */
function exactVelocity(img: Float32Array) {
  return (t: number, r: DenoiserRequest) => {
    const s = t / 1000;
    return { eps: r.x.map((v, i) => (v - img[i]) / s) };
  };
}

describe('flow-euler (FlowMatchEulerDiscreteScheduler)', () => {
  it.each([
    [1.0, 1],
    [1.0, 4],
    [3.0, 1],
    [3.0, 28],
    [3.0, 50],
  ])('shift %f, %i steps: timesteps and sigmas as diffusers sets them', (shift, n) => {
    const s = createSampler('flow-euler', { ...SD3, shift });
    const plan = s.plan(n, schedule);
    const ref = refFlow(1000, shift, n);
    expect(plan.prediction).toBe('flow_prediction');
    plan.steps.forEach((p, i) => {
      expect(p.t).toBeCloseTo(ref.timesteps[i], 3);
      expect(p.at.sigma).toBeCloseTo(ref.sigmas[i], 6);
      expect(p.to.sigma).toBeCloseTo(ref.sigmas[i + 1], 6);
      expect(p.at.alpha + p.at.sigma).toBeCloseTo(1, 12);
    });
    expect(plan.steps[0].t).toBeCloseTo(1000, 6);
    expect(plan.steps[plan.steps.length - 1].to).toEqual({ alpha: 1, sigma: 0 });
  });

  it('follows the straight line of an exact velocity model and lands on the image', async () => {
    const img = image(SHAPE, 3);
    const rec = recording(exactVelocity(img));
    const xs: Float32Array[] = [];
    const sampler = createSampler('flow-euler', SD3);
    const out = await sample({ shape: SHAPE, schedule, denoiser: rec.denoiser, rng: createRng(4), cond: cond(1), sampler, steps: 6, onStep: (i) => void xs.push(i.x.slice()) });
    expect(maxAbsDiff(out, img)).toBeLessThan(1e-5);
    const z = createRng(4).normal(img.length);
    const plan = sampler.plan(6, schedule);
    xs.forEach((x, k) => {
      const s = plan.steps[k].to.sigma;
      expect(maxAbsDiff(x, img.map((v, i) => (1 - s) * v + s * z[i]))).toBeLessThan(1e-4);
    });
    expect(rec.batches.map((b) => b.t)).toEqual(plan.steps.map((p) => p.t));
  });

  it('SDEdit starts from (1 - s) image + s z; inpainting keeps the known pixels', async () => {
    const img = image(SHAPE, 1);
    const sampler = createSampler('flow-euler', SD3);
    const rec = recording(exactVelocity(image(SHAPE, 2)));
    await sdedit({ shape: SHAPE, schedule, denoiser: rec.denoiser, rng: createRng(5), cond: cond(1), sampler, steps: 8, image: img, iStart: 3 });
    const s = sampler.plan(8, schedule).steps[3].at.sigma;
    const z = createRng(5).normal(img.length);
    expect(maxAbsDiff(rec.batches[0].batch[0].x, img.map((v, i) => (1 - s) * v + s * z[i]))).toBe(0);
    const mask = new Float32Array(SHAPE.height * SHAPE.width).fill(0);
    mask[0] = 1;
    const out = await inpaint({ shape: SHAPE, schedule, denoiser: rec.denoiser, rng: createRng(5), cond: cond(1), sampler, steps: 8, image: img, mask });
    expect(out[1]).toBe(img[1]);
    expect(Math.abs(out[0] - image(SHAPE, 2)[0])).toBeLessThan(1e-4);
  });

  it('is refused on a VP model, and a flow model refuses the VP samplers', () => {
    expect(() => createSampler('flow-euler', { beta_schedule: 'scaled_linear' })).toThrow(/flow-euler runs flow-matching models only/);
    expect(() => createSampler('ddim', SD3)).toThrow(/flow-matching model samples with flow-euler, not ddim/);
    expect(() => createSampler('flow-euler', { ...SD3, use_dynamic_shifting: true })).toThrow(/use_dynamic_shifting = true/);
  });
});
