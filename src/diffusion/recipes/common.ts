// Options shared by the recipes (one file per technique, each: a start x, an estimator, a projection).
import { cfg, conditional } from '../guidance.ts';
import type { StepInfo } from '../loop.ts';
import type { Rng } from '../rng.ts';
import type { Sampler } from '../samplers/sampler.ts';
import type { Schedule } from '../schedule.ts';
import { stridedTimesteps } from '../schedule.ts';
import type { Conditioning, Denoiser, Estimator, Shape } from '../types.ts';

export interface RecipeBase {
  shape: Shape;
  schedule: Schedule;
  denoiser: Denoiser;
  /** Source of all noise, drawn in a fixed order (start noise first, then per step). */
  rng: Rng;
  /** Full descending list ending at 0; default stridedTimesteps(33, numTrainTimesteps) = 990, 960, ..., 0. */
  timesteps?: readonly number[];
  /** Update rule of the loop; default ddpm. A sampler that respaces (Karras) respaces this list. */
  sampler?: Sampler;
  onStep?: (info: StepInfo) => void | Promise<void>;
  signal?: AbortSignal;
  /** Clip predicted x0 to [-1, 1]; default true. */
  clipX0?: boolean;
}

export interface Guidance {
  /** Empty prompt, or the negative prompt when given. Omitted: conditional estimate only. */
  uncond?: Conditioning;
  /** CFG scale s; default 7. */
  guidanceScale?: number;
}

export const DEFAULT_GUIDANCE_SCALE = 7;

/** CFG estimator for one prompt, or the plain conditional one without an unconditional prompt. */
export function guided(cond: Conditioning, g: Guidance): Estimator {
  return g.uncond ? cfg(cond, g.uncond, g.guidanceScale ?? DEFAULT_GUIDANCE_SCALE) : conditional(cond);
}

/** The recipe's timestep list (default: 33 strided steps), respaced by the sampler when it respaces. */
export function timestepsOf(o: RecipeBase): readonly number[] {
  const base = o.timesteps ?? stridedTimesteps(33, o.schedule.numTrainTimesteps);
  return o.sampler?.timesteps ? o.sampler.timesteps(base, o.schedule) : base;
}

/** Number of values of a shape. */
export function sizeOf(shape: Shape): number {
  return shape.channels * shape.height * shape.width;
}

/** Throws unless an image holds exactly the shape's values. */
export function checkImage(image: Float32Array, shape: Shape, what = 'image'): void {
  if (image.length !== sizeOf(shape)) {
    throw new RangeError(
      `${what} has ${image.length} values, shape ${shape.channels}x${shape.height}x${shape.width} needs ${sizeOf(shape)}`,
    );
  }
}

/** Loop options common to every recipe. */
export function loopBase(
  o: RecipeBase,
): Pick<RecipeBase, 'schedule' | 'denoiser' | 'rng' | 'onStep' | 'signal' | 'clipX0' | 'sampler'> {
  return {
    sampler: o.sampler,
    schedule: o.schedule,
    denoiser: o.denoiser,
    rng: o.rng,
    onStep: o.onStep,
    signal: o.signal,
    clipX0: o.clipX0,
  };
}
