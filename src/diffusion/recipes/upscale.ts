// Runs in the inference process and the CLI (pure math, no I/O).
import { sampleLoop } from '../loop.ts';
import { tiled } from '../tiles.ts';
import type { Shape } from '../types.ts';
import type { SdeditOptions } from './sdedit.ts';
import { checkImage, guided, loopBase, noisedAt, planFrom, planOf } from './common.ts';

export interface TiledSdeditOptions extends SdeditOptions {
  /** The UNet's sample size; `shape` (the image's) is larger, covered by windows of this size. */
  tile: Shape;
  /** Step between windows (half a tile: each element seen by up to 4 windows). */
  stride: number;
}

/** SDEdit (Meng et al. 2022) of an image larger than the UNet, with the tiled estimator (MultiDiffusion): the low-noise detail pass of an upscale. */
export async function tiledSdedit(o: TiledSdeditOptions): Promise<Float32Array> {
  checkImage(o.image, o.shape);
  const plan = planFrom(planOf(o), o.iStart);
  const x = noisedAt(o.image, plan.steps[0].at, o.rng);
  const estimator = tiled(guided(o.cond, o), o.shape, o.tile, o.stride);
  return sampleLoop({ ...loopBase(o), x, plan, estimator });
}
