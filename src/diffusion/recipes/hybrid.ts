// Runs in the inference process and the CLI (pure math, no I/O).
import type { X0Refiner } from '../coarse-prior.ts';
import { gaussianLowpass, hybridFilterFor } from '../filters.ts';
import { frequencySplit } from '../guidance.ts';
import { sampleLoop } from '../loop.ts';
import type { Conditioning } from '../types.ts';
import type { Guidance, RecipeBase } from './common.ts';
import { guided, loopBase, planOf, startNoise, withPrior } from './common.ts';

export interface HybridOptions extends RecipeBase, Guidance {
  /** Prompt seen from far away (low frequencies). */
  far: Conditioning;
  /** Prompt seen up close (high frequencies). */
  near: Conditioning;
  /** Gaussian kernel size; default 33 at 64 px, scaled with the width (odd). */
  kernelSize?: number;
  /** Gaussian sigma; default 2 at 64 px, scaled with the width. */
  sigma?: number;
  /** The far prompt's coarse data prior: it wraps the far branch (whose low frequencies are kept). */
  farPrior?: X0Refiner;
  /** The near prompt's coarse data prior: it wraps the near branch (whose high frequencies are kept). */
  nearPrior?: X0Refiner;
}

/** Hybrid images (Geng et al. 2024, Factorized Diffusion): eps = lowpass(eps_far) + highpass(eps_near), each CFG'd and wrapped with its own prompt's prior when given. */
export async function hybrid(o: HybridOptions): Promise<Float32Array> {
  const def = hybridFilterFor(o.shape.width);
  const lowpass = gaussianLowpass(o.shape, o.kernelSize ?? def.size, o.sigma ?? def.sigma);
  const plan = planOf(o);
  const x = startNoise(o, plan);
  const far = withPrior(guided(o.far, o), o.farPrior, o, plan);
  const near = withPrior(guided(o.near, o), o.nearPrior, o, plan);
  const estimator = frequencySplit(far, near, lowpass);
  return sampleLoop({ ...loopBase(o), x, plan, estimator });
}
