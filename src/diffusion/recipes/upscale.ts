import { forward } from '../forward.ts';
import { sampleLoop } from '../loop.ts';
import { abarAt, timestepAtIndex } from '../schedule.ts';
import { tiled } from '../tiles.ts';
import type { Shape } from '../types.ts';
import type { SdeditOptions } from './sdedit.ts';
import { checkImage, guided, loopBase, sizeOf, timestepsOf } from './common.ts';

export interface TiledSdeditOptions extends SdeditOptions {
  /** The UNet's sample size; `shape` (the image's) is larger, covered by windows of this size. */
  tile: Shape;
  /** Step between windows (half a tile: each element seen by up to 4 windows). */
  stride: number;
}

/** SDEdit (Meng et al. 2022) of an image larger than the UNet, with the tiled estimator (MultiDiffusion): the low-noise detail pass of an upscale. */
export async function tiledSdedit(o: TiledSdeditOptions): Promise<Float32Array> {
  checkImage(o.image, o.shape);
  const all = timestepsOf(o);
  const t = timestepAtIndex(all, o.iStart);
  const x = forward(o.image, o.rng.normal(sizeOf(o.shape)), abarAt(o.schedule, t));
  const estimator = tiled(guided(o.cond, o), o.shape, o.tile, o.stride);
  return sampleLoop({ ...loopBase(o), x, timesteps: all.slice(o.iStart), estimator });
}
