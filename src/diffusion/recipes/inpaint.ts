// Runs in the inference process and the CLI (pure math, no I/O).
import { blockAverage, type X0Refiner } from '../coarse-prior.ts';
import { sampleLoop } from '../loop.ts';
import type { Level } from '../samplers/sampler.ts';
import type { Conditioning, Shape } from '../types.ts';
import type { Guidance, RecipeBase } from './common.ts';
import { checkImage, guided, loopBase, noisedAt, planFrom, planOf, sizeOf, startNoise, withPrior } from './common.ts';

export interface InpaintOptions extends RecipeBase, Guidance {
  /** Original image in [-1, 1], CHW at shape. */
  image: Float32Array;
  /** m in [0, 1]: 1 where new content goes, 0 where the original is kept. H*W (all channels) or C*H*W values. */
  mask: Float32Array;
  cond: Conditioning;
  /** Start index; 0 (default) starts from pure noise, > 0 from the noised original (SDEdit-style). */
  iStart?: number;
  /** The prompt's coarse data prior confined to the mask's blocks (priorRegion), when the model has one and the mask leaves room. */
  prior?: X0Refiner;
}

/** The least share of the picture's blocks a mask must cover for the coarse prior to lay it out. */
export const PRIOR_MIN_REGION = 1 / 8;

/**
 * The rule for the coarse prior in inpainting: each block's weight is the share of its pixels
 * the mask regenerates (H*W mask, or the first channel of a C*H*W one), so the prior draws its
 * evidence from, and lays out, only what is repainted; undefined when the covered blocks add up to
 * less than PRIOR_MIN_REGION of the picture (a small hole holds no layout; the UNet fills it).
 */
export function priorRegion(mask: Float32Array, shape: Shape, size: number): Float32Array | undefined {
  const hw = shape.height * shape.width;
  if (mask.length !== hw && mask.length !== hw * shape.channels)
    throw new RangeError(`mask has ${mask.length} values, needs ${hw} (H*W) or ${hw * shape.channels} (C*H*W)`);
  const region = blockAverage(mask.subarray(0, hw), { channels: 1, height: shape.height, width: shape.width }, size);
  let covered = 0;
  for (const r of region) covered += r;
  return covered >= PRIOR_MIN_REGION * size * size ? region : undefined;
}

/** Expand an H*W mask to C*H*W (a C*H*W mask is copied). */
export function expandMask(mask: Float32Array, shape: Shape): Float32Array {
  const hw = shape.height * shape.width;
  if (mask.length === hw * shape.channels) return mask.slice();
  if (mask.length !== hw)
    throw new RangeError(
      `mask has ${mask.length} values, needs ${hw} (H*W) or ${hw * shape.channels} (C*H*W)`,
    );
  const out = new Float32Array(hw * shape.channels);
  for (let c = 0; c < shape.channels; c++) out.set(mask, c * hw);
  return out;
}

/**
 * Inpainting (RePaint without resampling, Lugmayr et al. 2022): after each step
 * x_t' <- m x_t' + (1 - m) forward(x_orig) at the level the step landed on; after the last
 * step the original is pasted exactly where m = 0. The prompt's prior, when given, wraps the guided
 * estimator (made for the mask's blocks: priorRegion).
 */
export async function inpaint(o: InpaintOptions): Promise<Float32Array> {
  checkImage(o.image, o.shape);
  const m = expandMask(o.mask, o.shape);
  const n = sizeOf(o.shape);
  const iStart = o.iStart ?? 0;
  const plan = planFrom(planOf(o), iStart);
  const x = iStart === 0 ? startNoise(o, plan) : noisedAt(o.image, plan.steps[0].at, o.rng);
  const project = (xt: Float32Array, to: Level, final: boolean): void => {
    const known = final || to.sigma === 0 ? o.image : noisedAt(o.image, to, o.rng);
    for (let i = 0; i < n; i++) {
      const mi = m[i];
      xt[i] = mi === 0 ? known[i] : mi === 1 ? xt[i] : mi * xt[i] + (1 - mi) * known[i];
    }
  };
  const estimator = withPrior(guided(o.cond, o), o.prior, o, plan);
  return sampleLoop({ ...loopBase(o), x, plan, estimator, project });
}
