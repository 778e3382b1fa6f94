// The per-view judge of the illusion eval (bench/eval-illusions.ts): what a picture reads as, by
// its nearest data-set artwork (all emoji, all styles) under a few ways of looking at it, and the
// prior-alone denoiser (the coarse prior's closed-form denoiser with no network).
//
// Readings (each: the 5 nearest distinct emoji, Euclidean, on the 0..1 RGB scale):
//   whole    16x16 area average of the picture (as the text-to-image eval's "16x16 nearest")
//   far      8x8 area average: a downscaled copy, what a hybrid shows from far away
//   near     the high-pass at 64 px (picture minus its Gaussian blur, sigma 2: the hybrid filter's
//            sigma), averaged to 32x32, against the artwork's high-pass made the same way
//   region   16x16 area average restricted to the masked blocks (inpainting), against the same
//            blocks of the artwork
import { blockAverage, gaussianBlur, posteriorWeights } from '../src/diffusion/index.ts';
import type { Conditioning, Denoiser, DenoiserOutput, Schedule, Shape } from '../src/diffusion/index.ts';
import { tileWeights, type CoarsePrior } from '../src/runtime/coarse-prior.ts';
import type { UnderstoodConcept } from '../src/runtime/types.ts';
import { FEATURE, nearestEmoji, type Dataset } from './eval-model-data.ts';

export const READINGS = ['whole', 'far', 'near', 'region'] as const;
export type Reading = (typeof READINGS)[number];

const NEAR = 32;
/** Gaussian of the near reading's high-pass: sigma 2 at 64 px (the hybrid filter's), kernel +-3 sigma. */
const HP = { size: 13, sigma: 2 };

/** The emoji a prompt names (skin tones folded), as the text-to-image eval counts a hit. */
export function wantedOf(understood: readonly UnderstoodConcept[], base: (e: string) => string): Set<string> {
  return new Set(understood.map((u) => base(u.label.split(' ')[0])));
}

/** Area average of an s x s x 3 (HWC, 0..1) feature down to k x k. */
function shrink(f: Float32Array, s: number, k: number): Float32Array {
  const r = s / k;
  const out = new Float32Array(k * k * 3);
  for (let y = 0; y < s; y++)
    for (let x = 0; x < s; x++)
      for (let c = 0; c < 3; c++) out[(Math.floor(y / r) * k + Math.floor(x / r)) * 3 + c] += f[(y * s + x) * 3 + c] / (r * r);
  return out;
}

/** High-pass of a size x size RGB byte image (HWC), averaged to 32x32, HWC on the 0..1 scale. */
export function highpass(rgb: Uint8Array, size: number): Float32Array {
  const shape: Shape = { channels: 3, height: size, width: size };
  const chw = new Float32Array(3 * size * size);
  for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) chw[c * size * size + p] = rgb[p * 3 + c] / 255;
  const low = gaussianBlur(chw, shape, HP.size, HP.sigma);
  for (let i = 0; i < chw.length; i++) chw[i] -= low[i];
  const avg = blockAverage(chw, shape, NEAR);
  const out = new Float32Array(NEAR * NEAR * 3);
  for (let c = 0; c < 3; c++) for (let p = 0; p < NEAR * NEAR; p++) out[p * 3 + c] = avg[c * NEAR * NEAR + p];
  return out;
}

function sqDist(a: Float32Array, b: Float32Array, blocks?: Uint8Array): number {
  let s = 0;
  if (blocks) {
    for (let i = 0; i < a.length; i++) if (blocks[Math.floor(i / 3)]) s += (a[i] - b[i]) ** 2;
  } else for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

/** Reads pictures against the data set; the artwork's far and near features are made once, when first asked for. */
export class Judge {
  private far?: Float32Array[];
  private near?: Float32Array[];
  private readonly all: number[];

  constructor(private readonly data: Dataset) {
    this.all = data.pixels.map((_, i) => i);
  }

  /**
   * The 5 nearest distinct emoji of a picture under a reading. `feature16` is the picture's 16x16
   * feature (eval-model-data.ts `feature`), `rgb` its bytes (for `near`), `blocks` the 16x16 blocks
   * of the region (for `region`: 1 = inside).
   */
  read(reading: Reading, feature16: Float32Array, rgb: Uint8Array, blocks?: Uint8Array): string[] {
    const d = this.data;
    if (reading === 'whole') return nearestEmoji(this.all, (i) => sqDist(feature16, d.features[i]), d.emoji);
    if (reading === 'far') {
      this.far ??= d.features.map((f) => shrink(f, FEATURE, 8));
      const mine = shrink(feature16, FEATURE, 8);
      return nearestEmoji(this.all, (i) => sqDist(mine, this.far![i]), d.emoji);
    }
    if (reading === 'near') {
      this.near ??= d.pixels.map((p) => highpass(p, d.size));
      const mine = highpass(rgb, d.size);
      return nearestEmoji(this.all, (i) => sqDist(mine, this.near![i]), d.emoji);
    }
    if (!blocks) throw new Error('the region reading needs the region');
    return nearestEmoji(this.all, (i) => sqDist(feature16, d.features[i], blocks), d.emoji);
  }
}

/** The 16x16 blocks a H*W mask (1 = repainted) covers at least half of. */
export function regionBlocks(mask: Float32Array, size: number): Uint8Array {
  const avg = blockAverage(mask, { channels: 1, height: size, width: size }, FEATURE);
  return Uint8Array.from(avg, (v) => (v >= 0.5 ? 1 : 0));
}

/**
 * The coarse prior alone as a denoiser: for a request with a prompt's conditioning, x0 is the
 * posterior mean of that prompt's tiles given the block averages of x_t (the closed-form denoiser
 * of the tiles, upscaled to blocks), at every timestep, with no network; eps follows from x0. It
 * runs through the same recipes (views, filters, projection) as the network. `region` confines the
 * evidence to the masked blocks (inpainting), as the shipped prior does.
 */
export function priorAloneDenoiser(
  prior: CoarsePrior,
  schedule: Schedule,
  shape: Shape,
  conceptsOf: Map<Conditioning, readonly UnderstoodConcept[]>,
  region?: Float32Array,
): Denoiser {
  const size = prior.size;
  const per = shape.channels * size * size;
  const ky = shape.height / size;
  const kx = shape.width / size;
  const subsets = new Map<Conditioning, { tiles: Float32Array; weights: number[] }>();
  const subsetOf = (cond: Conditioning) => {
    let s = subsets.get(cond);
    if (!s) {
      const understood = conceptsOf.get(cond);
      if (!understood) throw new Error('prior alone: a request with a conditioning of no known prompt');
      const w = tileWeights(prior.emoji, understood);
      const picked = w.flatMap((v, i) => (v > 0 ? [i] : []));
      if (picked.length === 0) throw new Error('prior alone: a prompt without tiles');
      const tiles = new Float32Array(picked.length * per);
      picked.forEach((i, j) => tiles.set(prior.tiles.subarray(i * per, (i + 1) * per), j * per));
      s = { tiles, weights: picked.map((i) => w[i]) };
      subsets.set(cond, s);
    }
    return s;
  };
  return async (t, batch) =>
    batch.map(({ x, cond }): DenoiserOutput => {
      const { tiles, weights } = subsetOf(cond);
      const abar = schedule.alphasCumprod[Math.round(t)];
      const w = posteriorWeights(blockAverage(x, shape, size), tiles, weights, abar, ky * kx, region);
      const target = new Float32Array(per);
      for (let i = 0; i < w.length; i++) if (w[i] > 0) for (let j = 0; j < per; j++) target[j] += w[i] * tiles[i * per + j];
      const a = Math.sqrt(abar);
      const s = Math.sqrt(Math.max(1 - abar, 1e-12));
      const eps = new Float32Array(x.length);
      for (let c = 0; c < shape.channels; c++)
        for (let y = 0; y < shape.height; y++)
          for (let xx = 0; xx < shape.width; xx++) {
            const k = (c * shape.height + y) * shape.width + xx;
            const x0 = target[(c * size + Math.floor(y / ky)) * size + Math.floor(xx / kx)];
            eps[k] = (x[k] - a * x0) / s;
          }
      return { eps };
    });
}
