// The one sampling loop (strided DDPM ancestral sampling, Ho et al. 2020), driven by a composable
// estimator; every technique is a start x, an estimator and an optional projection.
import { oneStep } from './forward.ts';
import type { Rng } from './rng.ts';
import type { Schedule } from './schedule.ts';
import { abarAt } from './schedule.ts';
import { ddpmStep } from './step.ts';
import type { Denoiser, Estimator } from './types.ts';

export interface StepInfo {
  /** 0-based step index. */
  index: number;
  /** Number of steps in this run (timesteps.length - 1). */
  total: number;
  t: number;
  tNext: number;
  /** x at tNext (after projection). */
  x: Float32Array;
  /** Predicted clean sample at t (clipped when clipX0). */
  x0: Float32Array;
}

export interface LoopOptions {
  /** Start sample x at timesteps[0]. */
  x: Float32Array;
  /** Descending timesteps from the start to 0, e.g. stridedTimesteps().slice(iStart). */
  timesteps: readonly number[];
  schedule: Schedule;
  estimator: Estimator;
  denoiser: Denoiser;
  rng: Rng;
  /** Applied in place to x after each step (inpainting). */
  project?: (x: Float32Array, tNext: number) => void;
  onStep?: (info: StepInfo) => void | Promise<void>;
  signal?: AbortSignal;
  /** Clip predicted x0 to [-1, 1] (DeepFloyd IF does). Default true. */
  clipX0?: boolean;
}

/**
 * Sample from timesteps[0] down to 0: per step one batched denoiser call for all the estimator's
 * requests, x0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t), strided DDPM step with noise except on
 * the final step to t' = 0 (so the result is the posterior mean there), then projection and callback.
 * Noise comes from `rng` in step order. Throws the signal's AbortError, checked before and after each call.
 */
export async function sampleLoop(opts: LoopOptions): Promise<Float32Array> {
  const { timesteps, schedule, estimator, denoiser, rng, project, onStep, signal } = opts;
  const clip = opts.clipX0 ?? true;
  let x = opts.x;
  const total = timesteps.length - 1;
  for (let i = 1; i < timesteps.length; i++) {
    if (!(timesteps[i] < timesteps[i - 1])) throw new RangeError('timesteps must be strictly descending');
  }
  if (total >= 1 && timesteps[total] !== 0) throw new RangeError('timesteps must end at 0');
  for (let i = 0; i < total; i++) {
    signal?.throwIfAborted();
    const t = timesteps[i];
    const tNext = timesteps[i + 1];
    const abarT = abarAt(schedule, t);
    const abarPrev = abarAt(schedule, tNext);
    const requests = estimator.requests(x, t);
    const outputs = await denoiser(t, requests, signal);
    signal?.throwIfAborted();
    if (outputs.length !== requests.length) {
      throw new RangeError(`denoiser returned ${outputs.length} outputs for ${requests.length} requests`);
    }
    const est = estimator.combine(outputs);
    const x0 = oneStep(x, est.eps, abarT, clip);
    const noise = tNext > 0 ? rng.normal(x.length) : undefined;
    x = ddpmStep({ xt: x, x0, abarT, abarPrev, noise, varValues: est.varValues });
    project?.(x, tNext);
    await onStep?.({ index: i, total, t, tNext, x, x0 });
  }
  return x;
}
