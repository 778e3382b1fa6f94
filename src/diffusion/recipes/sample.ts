// Runs in the inference process and the CLI (pure math, no I/O).
import type { X0Refiner } from '../coarse-prior.ts';
import { sampleLoop } from '../loop.ts';
import type { Conditioning } from '../types.ts';
import type { Guidance, RecipeBase } from './common.ts';
import { guided, loopBase, planOf, startNoise, withPrior } from './common.ts';

export interface SampleOptions extends RecipeBase, Guidance {
  cond: Conditioning;
  /** The model's coarse data prior for this prompt, when it has one: it wraps the guided estimator (see withCoarsePrior). */
  prior?: X0Refiner;
}

/** Text-to-image: pure Gaussian noise at the first timestep, denoised with CFG (Ho & Salimans 2022), and the coarse prior when given. */
export async function sample(o: SampleOptions): Promise<Float32Array> {
  const plan = planOf(o);
  const x = startNoise(o, plan);
  const estimator = withPrior(guided(o.cond, o), o.prior, o, plan);
  return sampleLoop({ ...loopBase(o), x, plan, estimator });
}
