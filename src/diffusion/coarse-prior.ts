// Runs in the inference process and the CLI (pure math, no I/O).
// The coarse data prior: the closed-form (optimal) denoiser of a small set of low-resolution
// training images, used for the coarse layout of the first, high-noise steps of text-to-image.
//
// For training images y_i (block averages of k x k pixels) with prior weights pi_i, and x_t =
// sqrt(abar) x0 + sqrt(1 - abar) eps, the block average of x_t is sqrt(abar) y + noise of variance
// (1 - abar) / k^2 per value, so the posterior mean of y given it is
//   E[y | x_t] = sum_i w_i y_i,  w_i ∝ pi_i exp(-k^2 |pool(x_t) - sqrt(abar) y_i|^2 / (2 (1 - abar))).
// The refiner replaces the block averages of the network's x0 estimate with it, fully from `fromT`
// up, blending linearly to nothing at `toT`; below `toT` the network alone decides.
// `withCoarsePrior` makes it an estimator wrapper (like CFG and views), so any sampler can use it.
// A `region` (one weight in [0, 1] per block) confines it to part of the picture (inpainting): only
// the region's blocks enter the posterior and only they are changed, in proportion to their weight.
import { oneStep } from './forward.ts';
import type { Schedule } from './schedule.ts';
import { abarAt } from './schedule.ts';
import type { Estimator, Shape } from './types.ts';

export interface CoarsePriorOptions {
  /** Model sample layout; height and width must be multiples of `size`. */
  shape: Shape;
  /** Tile side (e.g. 16 for 64x64 samples: 4x4-pixel blocks). */
  size: number;
  /** Tiles, [M, channels, size, size] in [-1, 1]. */
  tiles: Float32Array;
  /** One non-negative prior weight per tile (not necessarily normalised). */
  weights: readonly number[];
  /** At and above this timestep the prior sets the block averages. */
  fromT: number;
  /** At and below this timestep the prior has no effect. */
  toT: number;
  /** Per-block weights in [0, 1] ([size, size]): the part of the picture the prior sets; omitted = all of it. */
  region?: Float32Array;
}

/** Changes the predicted x0 in place, given x_t, the timestep and abar_t; returns false when it left x0 alone. */
export type X0Refiner = (x0: Float32Array, xt: Float32Array, t: number, abarT: number) => boolean;

/** Block average of a CHW image over (H/size) x (W/size) blocks -> [C, size, size]. */
export function blockAverage(x: Float32Array, shape: Shape, size: number): Float32Array {
  const { channels, height, width } = shape;
  const ky = height / size;
  const kx = width / size;
  const out = new Float32Array(channels * size * size);
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < height; y++) {
      const row = (c * size + Math.floor(y / ky)) * size;
      const src = (c * height + y) * width;
      for (let px = 0; px < width; px++) out[row + Math.floor(px / kx)] += x[src + px];
    }
  }
  for (let i = 0; i < out.length; i++) out[i] /= ky * kx;
  return out;
}

/** Posterior weights of the tiles given the block average of x_t (a softmax, computed stably); `region` weighs each block's evidence. */
export function posteriorWeights(
  pooled: Float32Array,
  tiles: Float32Array,
  weights: readonly number[],
  abarT: number,
  blockArea: number,
  region?: Float32Array,
): Float64Array {
  const n = pooled.length;
  const blocks = region?.length ?? n;
  const m = weights.length;
  const logits = new Float64Array(m);
  const scale = Math.sqrt(abarT);
  const inv = blockArea / (2 * Math.max(1 - abarT, 1e-12));
  let max = -Infinity;
  for (let i = 0; i < m; i++) {
    if (!(weights[i] > 0)) {
      logits[i] = -Infinity;
      continue;
    }
    let d = 0;
    const off = i * n;
    if (region) for (let j = 0; j < n; j++) d += region[j % blocks] * (pooled[j] - scale * tiles[off + j]) ** 2;
    else for (let j = 0; j < n; j++) d += (pooled[j] - scale * tiles[off + j]) ** 2;
    logits[i] = Math.log(weights[i]) - d * inv;
    if (logits[i] > max) max = logits[i];
  }
  let sum = 0;
  for (let i = 0; i < m; i++) {
    logits[i] = Number.isFinite(logits[i]) ? Math.exp(logits[i] - max) : 0;
    sum += logits[i];
  }
  for (let i = 0; i < m; i++) logits[i] /= sum;
  return logits;
}

/** The refiner for one prompt's tiles; undefined when no tile has weight. */
export function coarsePriorRefiner(o: CoarsePriorOptions): X0Refiner | undefined {
  const { shape, size, tiles, weights, fromT, toT, region } = o;
  const per = shape.channels * size * size;
  if (shape.height % size !== 0 || shape.width % size !== 0) {
    throw new RangeError(`coarse prior: ${shape.height}x${shape.width} is not a multiple of ${size}`);
  }
  if (tiles.length !== per * weights.length) {
    throw new RangeError(`coarse prior: ${tiles.length} tile values for ${weights.length} weights of ${per}`);
  }
  if (!(fromT > toT)) throw new RangeError('coarse prior: fromT must be above toT');
  if (region && region.length !== size * size) {
    throw new RangeError(`coarse prior: region has ${region.length} values, needs ${size * size} (one per block)`);
  }
  if (!weights.some((w) => w > 0) || (region && !region.some((r) => r > 0))) return undefined;
  const ky = shape.height / size;
  const kx = shape.width / size;
  return (x0, xt, t, abarT) => {
    const lambda = t >= fromT ? 1 : Math.max(0, (t - toT) / (fromT - toT));
    if (lambda <= 0) return false;
    const w = posteriorWeights(blockAverage(xt, shape, size), tiles, weights, abarT, ky * kx, region);
    const target = new Float32Array(per);
    for (let i = 0; i < w.length; i++) {
      if (w[i] === 0) continue;
      const off = i * per;
      for (let j = 0; j < per; j++) target[j] += w[i] * tiles[off + j];
    }
    // Shift each block of x0 by lambda * (target - its current average); clip to [-1, 1].
    const current = blockAverage(x0, shape, size);
    for (let c = 0; c < shape.channels; c++) {
      for (let y = 0; y < shape.height; y++) {
        const row = (c * size + Math.floor(y / ky)) * size;
        for (let x = 0; x < shape.width; x++) {
          const b = row + Math.floor(x / kx);
          const r = region ? region[b - c * size * size] : 1;
          if (r === 0) continue;
          const k = (c * shape.height + y) * shape.width + x;
          x0[k] = Math.min(1, Math.max(-1, x0[k] + r * lambda * (target[b] - current[b])));
        }
      }
    }
    return true;
  };
}

/**
 * An estimator with the coarse prior applied to its result: x0 from the inner estimate (clipped
 * when `clipX0`), refined, and converted back to eps = (x_t - sqrt(abar_t) x0) / sqrt(1 - abar_t).
 * Where the refiner has no effect the inner estimate passes through unchanged; learned variance
 * is kept. Wrap the guided estimator (CFG outside, prior outermost) to set the guided layout.
 */
export function withCoarsePrior(inner: Estimator, refine: X0Refiner, schedule: Schedule, clipX0 = true): Estimator {
  let at: { x: Float32Array; t: number } | undefined;
  return {
    requests: (x, t) => {
      at = { x, t };
      return inner.requests(x, t);
    },
    combine: (outputs) => {
      if (!at) throw new Error('combine called before requests');
      const { x, t } = at;
      const est = inner.combine(outputs);
      const abarT = abarAt(schedule, t);
      const x0 = oneStep(x, est.eps, abarT, clipX0);
      if (!refine(x0, x, t, abarT)) return est;
      const a = Math.sqrt(abarT);
      const s = Math.sqrt(1 - abarT);
      const eps = new Float32Array(x.length);
      for (let i = 0; i < eps.length; i++) eps[i] = (x[i] - a * x0[i]) / s;
      return { eps, varValues: est.varValues };
    },
  };
}
