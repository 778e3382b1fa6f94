// Runs in the inference process and the CLI (pure math, no I/O).
import type { X0Refiner } from '../coarse-prior.ts';
import { sampleLoop } from '../loop.ts';
import type { Conditioning } from '../types.ts';
import type { Guidance, RecipeBase } from './common.ts';
import { checkImage, guided, loopBase, noisedAt, planFrom, planOf, withPrior } from './common.ts';

export interface SdeditOptions extends RecipeBase, Guidance {
  /** Clean image in [-1, 1], CHW at shape. */
  image: Float32Array;
  /** Start index into the plan's steps (the study's noise level: 1, 3, 5, 7, 10, 20). */
  iStart: number;
  cond: Conditioning;
  /**
   * The prompt's coarse data prior. It acts where the noise level leaves room for it: at the steps
   * above the prior's lowest timestep (its own ramp), so only start levels above it feel it, and
   * its pull on the sketch's layout grows with the start noise.
   */
  prior?: X0Refiner;
}

/** SDEdit (Meng et al. 2022): x = forward(image) at the level of plan step iStart, then the plan from there (with the prompt's prior when given). */
export async function sdedit(o: SdeditOptions): Promise<Float32Array> {
  checkImage(o.image, o.shape);
  const plan = planFrom(planOf(o), o.iStart);
  const x = noisedAt(o.image, plan.steps[0].at, o.rng);
  return sampleLoop({ ...loopBase(o), x, plan, estimator: withPrior(guided(o.cond, o), o.prior, o, plan) });
}
