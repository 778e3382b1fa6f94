// Parity with diffusers' own published scheduler test figures: tests/schedulers/test_scheduler_*.py run
// each scheduler's full loop on the dummy model `sample * t / (t + 1)` and the dummy sample
// arange(768) / 768 (4 images of 3x8x8, image b holding the values k with k mod 4 = b), and assert
// sum(|x|) and mean(|x|) of the result. Here the same loops run through this project's samplers and
// must land within diffusers' own tolerances. Loops that draw torch noise (DDPM, Euler ancestral,
// LCM beyond one step) cannot be reproduced without torch's generator and are not listed.
import { describe, expect, it } from 'vitest';
import { sampleLoop } from '../../src/diffusion/loop.ts';
import { conditional } from '../../src/diffusion/guidance.ts';
import { createRng } from '../../src/diffusion/rng.ts';
import { createSampler } from '../../src/diffusion/samplers/registry.ts';
import { fromPrediction, processX0, type PredictionType } from '../../src/diffusion/samplers/sampler.ts';
import { makeSchedule } from '../../src/diffusion/schedule.ts';
import type { Denoiser } from '../../src/diffusion/types.ts';
import { cond } from './helpers.ts';

const N = 768;
/** Image b of the dummy sample (or of dummy_noise_deter, arange flipped). */
function dummyImage(b: number, flipped = false): Float32Array {
  return Float32Array.from({ length: N / 4 }, (_, j) => {
    const k = 4 * j + b;
    return Math.fround((flipped ? N - 1 - k : k) / N);
  });
}

/** diffusers' dummy model in float32: sample * t / (t + 1). */
const dummyModel: Denoiser = async (t, batch) =>
  batch.map((r) => ({ eps: r.x.map((v) => Math.fround(Math.fround(v * t) / (t + 1))) }));

function figures(images: Float32Array[]): { sum: number; mean: number } {
  let sum = 0;
  for (const im of images) for (const v of im) sum += Math.abs(v);
  return { sum, mean: sum / N };
}

/** The test's full_loop: set_timesteps(steps), then model + step per timestep (from index tStart after add_noise). */
async function fullLoop(
  name: string,
  config: Record<string, unknown>,
  steps = 10,
  tStart?: number,
): Promise<{ sum: number; mean: number }> {
  const sampler = createSampler(name, config);
  const schedule = makeSchedule(sampler.config.settings);
  const full = sampler.plan(steps, schedule);
  const plan = tStart === undefined ? full : { ...full, steps: full.steps.slice(tStart) };
  const out: Float32Array[] = [];
  for (let b = 0; b < 4; b++) {
    let x = dummyImage(b);
    if (tStart !== undefined) {
      const { alpha, sigma } = plan.steps[0].at;
      const z = dummyImage(b, true);
      x = x.map((v, i) => alpha * v + sigma * z[i]);
    }
    out.push(
      await sampleLoop({
        x,
        plan,
        sampler,
        estimator: conditional(cond(0)),
        denoiser: dummyModel,
        rng: createRng(0),
        prediction: (sampler.config.settings.prediction_type as PredictionType) ?? 'epsilon',
      }),
    );
  }
  return figures(out);
}

/**
 * EulerDiscreteScheduler's test loop: sample = dummy * init_noise_sigma, then per step the scaled
 * sample (scale_model_input) is both the model's input and the sample the step continues from.
 */
function eulerTestLoop(config: Record<string, unknown>, steps = 10): { sum: number; mean: number } {
  const sampler = createSampler('euler', config);
  const schedule = makeSchedule(sampler.config.settings);
  const plan = sampler.plan(steps, schedule);
  const prediction = sampler.config.settings.prediction_type as PredictionType;
  const init = plan.noiseScale / plan.steps[0].at.alpha;
  const images: Float32Array[] = [];
  for (let b = 0; b < 4; b++) {
    let k = dummyImage(b).map((v) => v * init); // k-space sample
    for (const [i, step] of plan.steps.entries()) {
      const scaled = k.map((v) => v * step.at.alpha);
      const out = scaled.map((v) => Math.fround(Math.fround(v * step.t) / (step.t + 1)));
      const x = scaled.map((v) => v * step.at.alpha); // the scaled sample taken as the k-space sample, in VP form
      const { eps, x0 } = fromPrediction(prediction, out, x, step.at);
      processX0(x0, plan.x0);
      const next = sampler.step({ index: i, step, x, raw: out, eps, x0, prediction, final: i === plan.steps.length - 1, rng: createRng(0) });
      k = next.x.map((v) => v / step.to.alpha);
    }
    images.push(k);
  }
  return figures(images);
}

const LINEAR = { num_train_timesteps: 1000, beta_start: 0.0001, beta_end: 0.02, beta_schedule: 'linear' };

describe('DDIMScheduler (test_scheduler_ddim.py)', () => {
  const ddim = { _class_name: 'DDIMScheduler', ...LINEAR, clip_sample: true };
  it.each([
    ['full_loop_no_noise', {}, 172.0067, 0.223967],
    ['full_loop_with_v_prediction', { prediction_type: 'v_prediction' }, 52.5302, 0.0684],
    ['full_loop_with_set_alpha_to_one', { set_alpha_to_one: true, beta_start: 0.01 }, 149.8295, 0.1951],
    ['full_loop_with_no_set_alpha_to_one', { set_alpha_to_one: false, beta_start: 0.01 }, 149.0784, 0.1941],
  ] as const)('%s: sum %f, mean %f', async (_n, extra, sum, mean) => {
    const r = await fullLoop('ddim', { ...ddim, ...extra });
    expect(Math.abs(r.sum - sum)).toBeLessThan(1e-2);
    expect(Math.abs(r.mean - mean)).toBeLessThan(1e-3);
  });
  it('full_loop_with_noise (add_noise at timesteps[8]): sum 354.5418, mean 0.4616', async () => {
    const r = await fullLoop('ddim', ddim, 10, 8);
    expect(Math.abs(r.sum - 354.5418)).toBeLessThan(1e-2);
    expect(Math.abs(r.mean - 0.4616)).toBeLessThan(1e-3);
  });
});

describe('PNDMScheduler (test_scheduler_pndm.py: Runge-Kutta warm-up, then PLMS)', () => {
  const pndm = { _class_name: 'PNDMScheduler', ...LINEAR };
  it.each([
    ['full_loop_no_noise', {}, 198.1318, 0.258],
    ['full_loop_with_v_prediction', { prediction_type: 'v_prediction' }, 67.3986, 0.0878],
    ['full_loop_with_set_alpha_to_one', { set_alpha_to_one: true, beta_start: 0.01 }, 230.0399, 0.2995],
    ['full_loop_with_no_set_alpha_to_one', { set_alpha_to_one: false, beta_start: 0.01 }, 186.9482, 0.2434],
  ] as const)('%s: sum %f, mean %f', async (_n, extra, sum, mean) => {
    const r = await fullLoop('pndm', { ...pndm, ...extra });
    expect(Math.abs(r.sum - sum)).toBeLessThan(1e-2);
    expect(Math.abs(r.mean - mean)).toBeLessThan(1e-3);
  });
});

describe('EulerDiscreteScheduler (test_scheduler_euler.py, 1100 train steps)', () => {
  const euler = { _class_name: 'EulerDiscreteScheduler', ...LINEAR, num_train_timesteps: 1100 };
  it.each([
    ['full_loop_no_noise', {}, 10.0807, 0.0131],
    ['full_loop_with_v_prediction', { prediction_type: 'v_prediction' }, 0.0002, 2.2676e-6],
    ['full_loop_device_karras_sigmas', { use_karras_sigmas: true }, 124.52299499511719, 0.16213932633399963],
  ] as const)('%s: sum %f, mean %f', (_n, extra, sum, mean) => {
    const r = eulerTestLoop({ ...euler, ...extra });
    expect(Math.abs(r.sum - sum)).toBeLessThan(1e-2);
    expect(Math.abs(r.mean - mean)).toBeLessThan(1e-3);
  });
});

describe('DPMSolverMultistepScheduler (test_scheduler_dpm_multi.py)', () => {
  const dpm = {
    _class_name: 'DPMSolverMultistepScheduler',
    ...LINEAR,
    solver_order: 2,
    prediction_type: 'epsilon',
    thresholding: false,
    sample_max_value: 1.0,
    algorithm_type: 'dpmsolver++',
    solver_type: 'midpoint',
    lower_order_final: false,
    euler_at_final: false,
    variance_type: null,
    final_sigmas_type: 'sigma_min',
  };
  it.each([
    ['full_loop_no_noise', 'dpmpp-2m', {}, 0.3301],
    ['full_loop_no_noise_thres', 'dpmpp-2m', { thresholding: true, dynamic_thresholding_ratio: 0.87, sample_max_value: 0.5 }, 1.1364],
    ['full_loop_with_v_prediction', 'dpmpp-2m', { prediction_type: 'v_prediction' }, 0.2251],
    ['full_loop_with_karras_and_v_prediction', 'dpmpp-2m-karras', { prediction_type: 'v_prediction' }, 0.2096],
  ] as const)('%s: mean %f', async (_n, name, extra, mean) => {
    const r = await fullLoop(name, { ...dpm, ...extra });
    expect(Math.abs(r.mean - mean)).toBeLessThan(1e-3);
  });
  it('full_loop_with_noise (add_noise at timesteps[5]): sum 318.4111, mean 0.4146', async () => {
    const r = await fullLoop('dpmpp-2m', dpm, 10, 5);
    expect(Math.abs(r.sum - 318.4111)).toBeLessThan(1e-2);
    expect(Math.abs(r.mean - 0.4146)).toBeLessThan(1e-3);
  });
});

describe('LCMScheduler (test_scheduler_lcm.py)', () => {
  it('full_loop_onestep (the one LCM loop without torch noise): sum 18.7097, mean 0.0244', async () => {
    const r = await fullLoop(
      'lcm',
      { _class_name: 'LCMScheduler', num_train_timesteps: 1000, beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear', prediction_type: 'epsilon' },
      1,
    );
    expect(Math.abs(r.sum - 18.7097)).toBeLessThan(1e-3);
    expect(Math.abs(r.mean - 0.0244)).toBeLessThan(1e-3);
  });
});
