// The product's samplers against the reference port of diffusers' loops (reference/diffusers-port.ts):
// every supported class x timestep spacing x steps in {1, 2, 4, 12, 50} x prediction type, on the
// exact denoiser of Gaussian data and on a fake network: the final samples within 1e-5 (max abs
// difference), or, where storing the sample in float32 alone takes the float64 port further than that,
// no further than it does. The product keeps the sample in a Float32Array between steps; the port is
// float64. One run of the 736 is past 1e-5 (DDPM, leading, offset 0, epsilon, 50 steps on the fake
// network, whose samples reach |x| = 27, where float32's spacing is 1.9e-6): its 1.149e-5 (6 spacings)
// is what the float64 port gets too with its sample rounded to float32 after each step (pinned below).
import { describe, expect, it } from 'vitest';
import { conditional } from '../../src/diffusion/guidance.ts';
import { sampleLoop } from '../../src/diffusion/loop.ts';
import { createRng } from '../../src/diffusion/rng.ts';
import { createSampler } from '../../src/diffusion/samplers/registry.ts';
import { makeSchedule } from '../../src/diffusion/schedule.ts';
import type { Denoiser } from '../../src/diffusion/types.ts';
import { cond } from './helpers.ts';
import { withFloat32Samples, withFloat32Tensors, alphasCumprod, ddimLoop, ddpmLoop, dpmLoop, eulerLoop, flowLoop, lcmLoop, pndmLoop, type Config, type Model } from './reference/diffusers-port.ts';

const N = 24;
const SD = { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, num_train_timesteps: 1000, clip_sample: false };
const SPACINGS: Config[] = [
  { timestep_spacing: 'leading', steps_offset: 0 },
  { timestep_spacing: 'leading', steps_offset: 1 },
  { timestep_spacing: 'trailing', steps_offset: 0 },
  { timestep_spacing: 'linspace', steps_offset: 0 },
];
const STEPS = [1, 2, 4, 12, 50];
const MU = Array.from({ length: N }, (_, i) => 0.6 * Math.sin(i));
const S = 0.4;

/** A fake network: 0.8 tanh(x) + 0.1 cos(t / 157). */
const fake: Model = (x, t) => Float64Array.from(x, (v) => 0.8 * Math.tanh(v) + 0.1 * Math.cos(t / 157));

/** The exact eps (or v) of Gaussian data N(MU, S^2) at the level of timestep t (sigma interpolated at fractional t). */
function gauss(c: Config, v: boolean): Model {
  const sig = alphasCumprod(c).map((a) => Math.sqrt((1 - a) / a));
  return (x, t) => {
    const i = Math.min(Math.floor(t), 998);
    const s = sig[i] + (t - i) * (sig[i + 1] - sig[i]);
    const ab = 1 / (1 + s * s);
    const k = (Math.sqrt(ab) * S * S) / (ab * S * S + 1 - ab);
    return Float64Array.from(x, (xv, j) => {
      const x0 = MU[j] + k * (xv - Math.sqrt(ab) * MU[j]);
      const eps = (xv - Math.sqrt(ab) * x0) / Math.sqrt(1 - ab);
      return v ? Math.sqrt(ab) * eps - Math.sqrt(1 - ab) * x0 : eps;
    });
  };
}

/** The exact velocity of Gaussian data N(MU, S^2) on the flow path x = (1 - s) x0 + s eps at t = s T: v = (x - E[x0 | x]) / s. */
const gaussFlow: Model = (x, t) => {
  const s = t / 1000;
  const k = ((1 - s) * S * S) / ((1 - s) ** 2 * S * S + s * s);
  return Float64Array.from(x, (xv, j) => (xv - (MU[j] + k * (xv - (1 - s) * MU[j]))) / s);
};

function asDenoiser(m: Model): Denoiser {
  return async (t, batch) => batch.map((r) => ({ eps: Float32Array.from(m(Float64Array.from(r.x), t)) }));
}

async function product(name: string, c: Config, steps: number, model: Model, z: Float32Array, seed = 3): Promise<Float32Array> {
  const sampler = createSampler(name, c);
  const plan = sampler.plan(steps, makeSchedule(sampler.config.settings));
  return sampleLoop({
    x: z.map((v) => v * plan.noiseScale),
    plan,
    sampler,
    estimator: conditional(cond(0)),
    denoiser: asDenoiser(model),
    rng: createRng(seed),
    prediction: c.prediction_type as 'epsilon' | 'v_prediction' | undefined,
  });
}

/** Largest |a - b|: the float32 sample against the port. */
function maxDiff(a: Float32Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * The product's final sample against the port's: within 1e-5, or no further (1% margin) than the port
 * is from itself run with its sample stored in float32 between steps (`run` runs the port).
 */
function expectClose(got: Float32Array, run: () => Float64Array, label: string): void {
  const want = run();
  const floor = maxDiff(Float32Array.from(withFloat32Samples(run)), want);
  expect(maxDiff(got, want), `${label} (float32 storage alone: ${floor.toExponential(3)})`).toBeLessThanOrEqual(Math.max(1e-5, 1.01 * floor));
}

const CLASSES: Array<[string, string, Config, (c: Config, n: number, x: Float64Array, m: Model) => Float64Array]> = [
  ['ddim', 'DDIMScheduler', { set_alpha_to_one: false }, ddimLoop],
  ['ddim', 'DDIMScheduler', { set_alpha_to_one: true }, ddimLoop],
  ['pndm', 'PNDMScheduler', { skip_prk_steps: true }, pndmLoop],
  ['pndm', 'PNDMScheduler', { skip_prk_steps: false }, pndmLoop],
  ['euler', 'EulerDiscreteScheduler', {}, eulerLoop],
  ['euler', 'EulerDiscreteScheduler', { final_sigmas_type: 'sigma_min' }, eulerLoop],
  ['dpmpp-2m', 'DPMSolverMultistepScheduler', {}, dpmLoop],
  ['dpmpp-2m', 'DPMSolverMultistepScheduler', { final_sigmas_type: 'sigma_min', lower_order_final: false }, dpmLoop],
];

describe.each(CLASSES)('%s (%s %j) against the reference port', (name, cls, extra, ref) => {
  it.each(SPACINGS.flatMap((sp) => ['epsilon', 'v_prediction'].map((p) => [JSON.stringify(sp), p, sp] as const)))(
    '%s, %s: every step count, both models, within 1e-5 (or float32 storage)',
    async (_label, prediction, spacing) => {
      const c = { _class_name: cls, ...SD, ...extra, ...spacing, prediction_type: prediction };
      for (const steps of STEPS) {
        if (cls === 'PNDMScheduler' && !extra.skip_prk_steps && steps < 4) continue;
        for (const model of [fake, gauss(c, prediction === 'v_prediction')]) {
          const z = createRng(steps).normal(N);
          const got = await product(name, c, steps, model, z);
          expectClose(got, () => ref(c, steps, Float64Array.from(z), model), `${steps} steps`);
        }
      }
    },
  );
});

describe('zero terminal SNR (rescale_betas_zero_snr, trailing, v_prediction) against the reference port', () => {
  it.each([
    ['ddim', 'DDIMScheduler', ddimLoop],
    ['euler', 'EulerDiscreteScheduler', eulerLoop],
  ] as const)('%s: every step count, both models', async (name, cls, ref) => {
    const c = { _class_name: cls, ...SD, timestep_spacing: 'trailing', rescale_betas_zero_snr: true, prediction_type: 'v_prediction', set_alpha_to_one: false };
    for (const steps of STEPS)
      for (const model of [fake, gauss(c, true)]) {
        const z = createRng(steps).normal(N);
        const got = await product(name, c, steps, model, z);
        expect(got.every(Number.isFinite)).toBe(true);
        expectClose(got, () => ref(c, steps, Float64Array.from(z), model), `${steps} steps`);
      }
  });
});

describe('DDPM, LCM and flow matching against the reference port (the same seeded noise)', () => {
  it.each(SPACINGS.map((sp) => [JSON.stringify(sp), sp] as const))('ddpm, %s, epsilon and v_prediction, clip_sample on and off', async (_l, spacing) => {
    for (const prediction of ['epsilon', 'v_prediction'])
      for (const clip of [false, true])
        for (const steps of STEPS) {
          const c = { _class_name: 'DDPMScheduler', ...SD, ...spacing, prediction_type: prediction, clip_sample: clip };
          const z = createRng(steps).normal(N);
          const got = await product('ddpm', c, steps, fake, z, 6);
          expectClose(got, () => ddpmLoop(c, steps, Float64Array.from(z), fake, createRng(6)), `${prediction}, clip ${clip}, ${steps} steps`);
        }
  });

  it.each([1, 2, 4, 8])('lcm, %i steps (the same seeded noise on each step but the last)', async (steps) => {
    const c = { _class_name: 'LCMScheduler', ...SD };
    for (const model of [fake, gauss(c, false)]) {
      const z = createRng(9).normal(N);
      const got = await product('lcm', c, steps, model, z, 4);
      expectClose(got, () => lcmLoop(c, steps, Float64Array.from(z), model, createRng(4)), `${steps} steps`);
    }
  });

  it.each([1, 2, 4, 12, 50])('flow-euler, %i steps, shift 1 and 3 (SD3), both models', async (steps) => {
    for (const shift of [1, 3])
      for (const [label, model] of [['fake', fake], ['gaussian', gaussFlow]] as const) {
        const c = { _class_name: 'FlowMatchEulerDiscreteScheduler', num_train_timesteps: 1000, shift };
        const z = createRng(steps).normal(N);
        const got = await product('flow-euler', c, steps, model, z);
        expectClose(got, () => flowLoop(shift, steps, Float64Array.from(z), model), `shift ${shift}, ${label}`);
      }
  });

  it('flow-euler on the Gaussian velocity lands near the data at 50 steps (the model is exact)', async () => {
    const c = { _class_name: 'FlowMatchEulerDiscreteScheduler', num_train_timesteps: 1000, shift: 3 };
    const got = await product('flow-euler', c, 50, gaussFlow, createRng(50).normal(N));
    // A sample of N(MU, S^2): within 4.5 S of the mean everywhere.
    expect(Math.max(...Array.from(got, (v, j) => Math.abs(v - MU[j])))).toBeLessThan(4.5 * S);
  });
});

describe('the float32 floor of the 1e-5 comparison', () => {
  const c = { _class_name: 'DDPMScheduler', ...SD, timestep_spacing: 'leading', steps_offset: 0, prediction_type: 'epsilon', clip_sample: false };
  const z = createRng(50).normal(N);
  const run = () => ddpmLoop(c, 50, Float64Array.from(z), fake, createRng(6));

  it('DDPM, leading, offset 0, 50 steps: past 1e-5 only as far as storing the sample in float32 takes the port', async () => {
    const got = await product('ddpm', c, 50, fake, z, 6);
    const want = run();
    expect(Math.max(...Array.from(want, Math.abs))).toBeGreaterThan(25);
    expect(maxDiff(got, want)).toBeGreaterThan(1e-5);
    expect(maxDiff(got, want)).toBeLessThan(1.2e-5);
    // The port in float64 with its sample rounded to float32 after each step is as far from the float64 port,
    // and the product within three float32 spacings (3 x 1.9e-6) of it (two, measured).
    const stored = withFloat32Samples(run);
    expect(maxDiff(Float32Array.from(stored), want)).toBeGreaterThan(1e-5);
    expect(maxDiff(got, stored)).toBeLessThan(6e-6);
  });

  it("diffusers' own float32 loop is no closer: the port with every array in float32 (as torch float32 tensors) is past 1e-5 of the float64 port too", () => {
    const ct = { ...c, timestep_spacing: 'trailing' };
    const zt = createRng(50).normal(N);
    const want = ddpmLoop(ct, 50, Float64Array.from(zt), fake, createRng(6));
    const f32: Model = (x, t) => Float64Array.from(fake(x, t), Math.fround);
    const asTorch = withFloat32Tensors(() => ddpmLoop(ct, 50, Float64Array.from(zt), f32, createRng(6)));
    expect(maxDiff(Float32Array.from(asTorch), want)).toBeGreaterThan(1e-5);
  });
});
