import { forward } from '../forward.ts';
import { sampleLoop } from '../loop.ts';
import { abarAt, timestepAtIndex } from '../schedule.ts';
import type { Conditioning } from '../types.ts';
import type { Guidance, RecipeBase } from './common.ts';
import { checkImage, guided, loopBase, sizeOf, timestepsOf } from './common.ts';

export interface SdeditOptions extends RecipeBase, Guidance {
  /** Clean image in [-1, 1], CHW at shape. */
  image: Float32Array;
  /** Start index into the timesteps (the study's noise level: 1, 3, 5, 7, 10, 20). */
  iStart: number;
  cond: Conditioning;
}

/** SDEdit (Meng et al. 2022): x = forward(image, ts[iStart]), then denoise from iStart. */
export async function sdedit(o: SdeditOptions): Promise<Float32Array> {
  checkImage(o.image, o.shape);
  const all = timestepsOf(o);
  const t = timestepAtIndex(all, o.iStart);
  const x = forward(o.image, o.rng.normal(sizeOf(o.shape)), abarAt(o.schedule, t));
  return sampleLoop({ ...loopBase(o), x, timesteps: all.slice(o.iStart), estimator: guided(o.cond, o) });
}
