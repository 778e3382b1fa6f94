// Plain TypeScript denoisers for the diffusion tests.
import { makeSchedule, type Schedule } from '../../src/diffusion/schedule.ts';
import { createSampler } from '../../src/diffusion/samplers/registry.ts';
import { interpIndex } from '../../src/diffusion/samplers/spacing.ts';
import type {
  Conditioning,
  Denoiser,
  DenoiserOutput,
  DenoiserRequest,
  Shape,
} from '../../src/diffusion/types.ts';

export const SHAPE: Shape = { channels: 3, height: 8, width: 8 };

export function cond(id: number): Conditioning {
  return { data: Float32Array.of(id), dims: [1] };
}

/** A smooth image in [-0.8, 0.8] that depends on k. */
export function image(shape: Shape, k = 0): Float32Array {
  const out = new Float32Array(shape.channels * shape.height * shape.width);
  let i = 0;
  for (let c = 0; c < shape.channels; c++)
    for (let y = 0; y < shape.height; y++)
      for (let x = 0; x < shape.width; x++) out[i++] = 0.8 * Math.sin(0.7 * x + 1.3 * y + 2.1 * c + k);
  return out;
}

export interface Recorder {
  denoiser: Denoiser;
  /** Batch size of each call, in order. */
  calls: number[];
  batches: Array<{ t: number; batch: DenoiserRequest[] }>;
}

/** Wraps a per-request function into a recording batched Denoiser. */
export function recording(fn: (t: number, r: DenoiserRequest) => DenoiserOutput): Recorder {
  const rec: Recorder = {
    calls: [],
    batches: [],
    denoiser: async (t, batch) => {
      rec.calls.push(batch.length);
      rec.batches.push({ t, batch });
      return batch.map((r) => fn(t, r));
    },
  };
  return rec;
}

/** abar at a model timestep: abar_t, or at a fractional t the level of the sigma interpolated there (as the Euler schedulers do). */
export function abarAtT(schedule: Schedule, t: number): number {
  if (Number.isInteger(t)) return schedule.alphasCumprod[t];
  const s = interpIndex(Array.from(schedule.alphasCumprod, (a) => Math.sqrt((1 - a) / a)), t);
  return 1 / (1 + s * s);
}

/** The exact optimal denoiser of a one-image dataset: eps*(x_t, t) = (x_t - sqrt(abar_t) x_img) / sqrt(1 - abar_t). */
export function optimalEps(schedule: Schedule, img: Float32Array) {
  return (t: number, r: DenoiserRequest): DenoiserOutput => {
    const a = abarAtT(schedule, t);
    const eps = new Float32Array(r.x.length);
    for (let i = 0; i < eps.length; i++) eps[i] = (r.x[i] - Math.sqrt(a) * img[i]) / Math.sqrt(1 - a);
    return { eps };
  };
}

/** A prompt-dependent denoiser: optimal toward image(shape, cond id), so prompts pull to different images. */
export function promptEps(schedule: Schedule, shape: Shape, withVar = false) {
  return (t: number, r: DenoiserRequest): DenoiserOutput => {
    const out = optimalEps(schedule, image(shape, r.cond.data[0]))(t, r);
    if (withVar) out.varValues = r.x.map((v) => Math.tanh(v));
    return out;
  };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The bundled model's scheduler config: cosine schedule, the study's strided list, x0 clipped. */
export const STUDY_CONFIG = {
  beta_schedule: 'squaredcos_cap_v2',
  num_train_timesteps: 1000,
  timestep_spacing: 'strided',
  clip_sample: true,
};

/** A sampler made for the study's config (extra keys override it). */
export function studySampler(name = 'ddpm', extra: Record<string, unknown> = {}) {
  return createSampler(name, { ...STUDY_CONFIG, ...extra });
}

/** Loop options for `steps` study steps with a sampler: its plan and itself. */
export function studyLoop(steps = 33, name = 'ddpm', extra: Record<string, unknown> = {}) {
  const sampler = studySampler(name, extra);
  return { sampler, plan: sampler.plan(steps, makeSchedule(sampler.config.settings)) };
}
