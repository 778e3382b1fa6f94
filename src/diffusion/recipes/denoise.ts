import { gaussianBlur } from '../filters.ts';
import { forward, oneStep } from '../forward.ts';
import { sampleLoop } from '../loop.ts';
import { abarAt } from '../schedule.ts';
import type { Conditioning } from '../types.ts';
import type { Guidance, RecipeBase } from './common.ts';
import { checkImage, guided, loopBase, timestepsOf } from './common.ts';

export const DENOISE_METHODS = ['blur', 'one-step', 'iterative'] as const;
export type DenoiseMethod = (typeof DENOISE_METHODS)[number];

export interface DenoiseOptions extends RecipeBase, Guidance {
  /** Clean image in [-1, 1], CHW at shape. */
  image: Float32Array;
  /** Noise level: a train timestep 1 .. numTrain - 1. */
  t: number;
  method: DenoiseMethod;
  /** Prompt for the model-based methods (one-step, iterative). */
  cond?: Conditioning;
  /** Blur kernel size, default 5. */
  blurKernel?: number;
  /** Blur sigma, default 2. */
  blurSigma?: number;
}

export interface DenoiseResult {
  noisy: Float32Array;
  denoised: Float32Array;
}

/**
 * Denoise forward(image, t): blur = Gaussian blur of x_t (classical baseline); one-step =
 * (x_t - sqrt(1 - abar_t) eps_hat) / sqrt(abar_t) from one (CFG'd) estimate; iterative = the loop
 * over [t, then every strided timestep below t] down to 0. The noisy image is the same for every
 * method at one seed (its eps is the first draw).
 */
export async function denoise(o: DenoiseOptions): Promise<DenoiseResult> {
  checkImage(o.image, o.shape);
  const abarT = abarAt(o.schedule, o.t);
  if (o.t < 1) throw new RangeError('denoise needs t >= 1');
  const noisy = forward(o.image, o.rng.normal(o.image.length), abarT);
  if (o.method === 'blur')
    return { noisy, denoised: gaussianBlur(noisy, o.shape, o.blurKernel ?? 5, o.blurSigma ?? 2) };
  if (!o.cond) throw new RangeError(`denoise method "${o.method}" needs a prompt conditioning`);
  const estimator = guided(o.cond, o);
  if (o.method === 'one-step') {
    o.signal?.throwIfAborted();
    const reqs = estimator.requests(noisy, o.t);
    const est = estimator.combine(await o.denoiser(o.t, reqs, o.signal));
    return { noisy, denoised: oneStep(noisy, est.eps, abarT, o.clipX0 ?? true) };
  }
  if (o.method === 'iterative') {
    const timesteps = [o.t, ...timestepsOf(o).filter((s) => s < o.t)];
    const denoised = await sampleLoop({ ...loopBase(o), x: noisy, timesteps, estimator });
    return { noisy, denoised };
  }
  throw new RangeError(`unknown denoise method "${String(o.method)}"; known: ${DENOISE_METHODS.join(', ')}`);
}
