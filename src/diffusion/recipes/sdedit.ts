// Runs in the inference process and the CLI (pure math, no I/O).
import { sampleLoop } from '../loop.ts';
import type { Conditioning } from '../types.ts';
import type { Guidance, RecipeBase } from './common.ts';
import { checkImage, guided, loopBase, noisedAt, planFrom, planOf } from './common.ts';

export interface SdeditOptions extends RecipeBase, Guidance {
  /** Clean image in [-1, 1], CHW at shape. */
  image: Float32Array;
  /** Start index into the plan's steps (the study's noise level: 1, 3, 5, 7, 10, 20). */
  iStart: number;
  cond: Conditioning;
}

/** SDEdit (Meng et al. 2022): x = forward(image) at the level of plan step iStart, then the plan from there. */
export async function sdedit(o: SdeditOptions): Promise<Float32Array> {
  checkImage(o.image, o.shape);
  const plan = planFrom(planOf(o), o.iStart);
  const x = noisedAt(o.image, plan.steps[0].at, o.rng);
  return sampleLoop({ ...loopBase(o), x, plan, estimator: guided(o.cond, o) });
}
