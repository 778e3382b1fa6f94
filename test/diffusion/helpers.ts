// Plain TypeScript denoisers for the diffusion tests.
import type { Schedule } from '../../src/diffusion/schedule.ts';
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

/** The exact optimal denoiser of a one-image dataset: eps*(x_t, t) = (x_t - sqrt(abar_t) x_img) / sqrt(1 - abar_t). */
export function optimalEps(schedule: Schedule, img: Float32Array) {
  return (t: number, r: DenoiserRequest): DenoiserOutput => {
    const a = schedule.alphasCumprod[t];
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
