// The one sampling loop, driven by a composable estimator and a stateless sampler (default: strided
// DDPM ancestral sampling, Ho et al. 2020); every technique is a start x, an estimator and an
// optional projection, and runs with every sampler.
import { oneStep } from './forward.ts';
import type { Rng } from './rng.ts';
import type { Schedule } from './schedule.ts';
import { abarAt } from './schedule.ts';
import { ddpm } from './samplers/ddpm.ts';
import type { Sampler, SamplerHistory } from './samplers/sampler.ts';
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
  /** The update rule x_t -> x_t'; default ddpm (the study's). */
  sampler?: Sampler;
  /** Applied in place to x after each step (inpainting); abarNext is the sampler's noise level of x (1 = clean). */
  project?: (x: Float32Array, tNext: number, abarNext: number) => void;
  onStep?: (info: StepInfo) => void | Promise<void>;
  signal?: AbortSignal;
  /** Clip predicted x0 to [-1, 1] (DeepFloyd IF does). Default true. */
  clipX0?: boolean;
}

/**
 * Sample from timesteps[0] down to 0: per step one batched denoiser call for all the estimator's
 * requests, x0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t), the sampler's step (no noise on the final
 * step to t' = 0; samplers that end clean land on sigma = 0 there, ddpm on the posterior mean at t = 0),
 * then projection and callback. Noise comes from `rng` in step order; multistep history is threaded here. Throws the signal's AbortError, checked before and after each call.
 */
export async function sampleLoop(opts: LoopOptions): Promise<Float32Array> {
  const { timesteps, schedule, estimator, denoiser, rng, project, onStep, signal } = opts;
  const clip = opts.clipX0 ?? true;
  const sampler = opts.sampler ?? ddpm;
  let history: SamplerHistory | undefined;
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
    const final = i === total - 1;
    const abarNext = final && sampler.endsClean ? 1 : abarAt(schedule, tNext);
    const requests = estimator.requests(x, t);
    const outputs = await denoiser(t, requests, signal);
    signal?.throwIfAborted();
    if (outputs.length !== requests.length) {
      throw new RangeError(`denoiser returned ${outputs.length} outputs for ${requests.length} requests`);
    }
    const est = estimator.combine(outputs);
    const x0 = oneStep(x, est.eps, abarT, clip);
    const next = sampler.step({ x, x0, abarT, abarNext, final, varValues: est.varValues, rng, history });
    x = next.x;
    history = next.history;
    project?.(x, tNext, abarNext);
    await onStep?.({ index: i, total, t, tNext, x, x0 });
  }
  return x;
}
