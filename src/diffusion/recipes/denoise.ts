// Runs in the inference process and the CLI (pure math, no I/O).
import { gaussianBlur } from '../filters.ts';
import { forward } from '../forward.ts';
import { fromPrediction, processX0, vpLevel } from '../samplers/sampler.ts';
import { sampleLoop } from '../loop.ts';
import { abarAt } from '../schedule.ts';
import type { Conditioning } from '../types.ts';
import type { Guidance, RecipeBase } from './common.ts';
import { checkImage, clipsX0, guided, loopBase, planBelow, planOf } from './common.ts';

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
 * (x_t - sqrt(1 - abar_t) eps_hat) / sqrt(abar_t) from one (CFG'd) estimate; iterative = one
 * step from t onto the sampler's plan, then the plan's steps below t. The noisy image is the same for every
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
    const { x0 } = fromPrediction(o.prediction ?? 'epsilon', est.eps, noisy, vpLevel(abarT));
    if (clipsX0(planOf(o))) processX0(x0, { clip: 1 });
    return { noisy, denoised: x0 };
  }
  if (o.method === 'iterative') {
    const plan = planBelow(planOf(o), o.schedule, o.t);
    const denoised = await sampleLoop({ ...loopBase(o), x: noisy, plan, estimator });
    return { noisy, denoised };
  }
  throw new RangeError(`unknown denoise method "${String(o.method)}"; known: ${DENOISE_METHODS.join(', ')}`);
}
