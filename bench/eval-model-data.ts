// Data set and measures of the model evaluation (bench/eval-model.ts): the emoji data set with the
// style of each image, the coarse prior's tiles built from chosen styles (as models/emoji/data/tiles.ts
// builds the shipped ones), and nearest-neighbour labels at 16x16 and 64x64.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import { blockAverage } from '../src/diffusion/index.ts';
import { baseEmoji } from '../src/runtime/prompt/emoji.ts';

export const FEATURE = 16;

/** The study's prompts, then prompts for concepts the model never saw (held out), then other languages. */
export const STUDY_PROMPTS = [
  'a rocket ship',
  'a man wearing a hat',
  'an oil painting of a snowy mountain village',
  'a skull',
  'a waterfall',
  'a dog',
  'an old man',
  'people around a campfire',
  'a pencil',
];
export const OTHER_PROMPTS = ['un chien', 'ロケット', 'a red heart', 'a grinning face'];
export const STYLES = ['noto', 'twemoji', 'fluent'];

export interface Dataset {
  /** Side of the images (64). */
  size: number;
  /** 16x16 RGB area averages on the 0..1 scale. */
  features: Float32Array[];
  /** Full-size RGB (HWC bytes) of every image, training and held-out concepts. */
  pixels: Uint8Array[];
  /** Sums of each image's 4x4-pixel blocks, [16 * 16 * 3] HWC, for the detail measure. */
  blockSums: Int32Array[];
  /** Whether each image is a training image (its concept is not held out). */
  train: boolean[];
  /** Each image's emoji without skin tones and variation selectors. */
  emoji: string[];
  /** Each image's emoji as written in the data set (for the prior's tiles). */
  rawEmoji: string[];
  /** Each image's artwork set: noto, twemoji or fluent. */
  style: string[];
  heldOutLabels: string[];
}

/** An emoji without skin-tone modifiers and variation selectors. */
export { baseEmoji };

/** 16x16 RGB area average of a size x size RGB image, on the 0..1 scale. */
export async function feature(rgb: Uint8Array, size: number): Promise<Float32Array> {
  const small = await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .resize(FEATURE, FEATURE, { kernel: 'linear' })
    .raw()
    .toBuffer();
  return Float32Array.from(small, (v) => v / 255);
}

/** Euclidean distance of two feature vectors. */
export function dist(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

/** Euclidean distance of two RGB byte images, on the 0..1 scale. */
export function pixelDist(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s) / 255;
}

/** Sums of the 4x4-pixel blocks of a 64x64 RGB (HWC) image -> [16, 16, 3]. */
export function blockSumsOf(rgb: Uint8Array, size: number): Int32Array {
  const k = size / FEATURE;
  const out = new Int32Array(FEATURE * FEATURE * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const b = (Math.floor(y / k) * FEATURE + Math.floor(x / k)) * 3;
      for (let c = 0; c < 3; c++) out[b + c] += rgb[(y * size + x) * 3 + c];
    }
  }
  return out;
}

/**
 * Distance between the detail of two images: each pixel minus its 4x4 block's average, the part
 * of a 64x64 picture the coarse prior does not set (x 16 to stay in integers).
 */
export function detailDist(a: Uint8Array, sa: Int32Array, b: Uint8Array, sb: Int32Array, size: number): number {
  const k = size / FEATURE;
  const area = k * k;
  const blocks = blockIndex(size);
  let s = 0;
  for (let p = 0; p < a.length; p++) {
    const blk = blocks[p];
    s += (area * (a[p] - b[p]) - (sa[blk] - sb[blk])) ** 2;
  }
  return Math.sqrt(s) / (255 * area);
}

const blockIndexes = new Map<number, Uint16Array>();
/** For each HWC byte of a size x size RGB image, the index of its 4x4 block's channel sum. */
function blockIndex(size: number): Uint16Array {
  let map = blockIndexes.get(size);
  if (!map) {
    const k = size / FEATURE;
    map = new Uint16Array(size * size * 3);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++) map[(y * size + x) * 3 + c] = (Math.floor(y / k) * FEATURE + Math.floor(x / k)) * 3 + c;
    blockIndexes.set(size, map);
  }
  return map;
}

/** The distinct emoji of the k nearest items, nearest first. */
export function nearestEmoji(candidates: readonly number[], d: (i: number) => number, emoji: readonly string[], k = 5): string[] {
  const order = candidates.map((i) => [d(i), i] as const).sort((a, b) => a[0] - b[0]);
  const top: string[] = [];
  for (const [, i] of order) {
    if (!top.includes(emoji[i])) top.push(emoji[i]);
    if (top.length === k) break;
  }
  return top;
}

/** Read models/emoji/data/build (building it first when missing). */
export async function loadDataset(root: string): Promise<Dataset> {
  const buildDir = join(root, 'models', 'emoji', 'data', 'build');
  if (!existsSync(join(buildDir, 'dataset.json'))) {
    console.log('building the dataset (npm run data:emoji) ...');
    execFileSync(process.execPath, ['--import', 'tsx', join(root, 'models', 'emoji', 'data', 'build.ts')], { stdio: 'inherit' });
  }
  const meta = JSON.parse(readFileSync(join(buildDir, 'dataset.json'), 'utf8')) as {
    size: number;
    images: { concept: number; style: string }[];
    concepts: { emoji: string; label: string; split: string }[];
  };
  const all = readFileSync(join(buildDir, 'images.u8'));
  const n = meta.size * meta.size * 3;
  const pixels: Uint8Array[] = [];
  const features: Float32Array[] = [];
  for (let i = 0; i < meta.images.length; i++) {
    pixels.push(all.subarray(i * n, (i + 1) * n));
    features.push(await feature(pixels[i], meta.size));
  }
  return {
    size: meta.size,
    features,
    pixels,
    blockSums: pixels.map((p) => blockSumsOf(p, meta.size)),
    train: meta.images.map((im) => meta.concepts[im.concept].split === 'train'),
    emoji: meta.images.map((im) => baseEmoji(meta.concepts[im.concept].emoji)),
    rawEmoji: meta.images.map((im) => meta.concepts[im.concept].emoji),
    style: meta.images.map((im) => im.style),
    heldOutLabels: meta.concepts
      .filter((c) => c.split === 'heldout' && !c.label.includes(':') && !c.label.startsWith('flag'))
      .map((c) => c.label),
  };
}

/**
 * The coarse prior's tiles from the training images of some styles, as models/emoji/data/tiles.ts
 * makes the shipped ones (4x4 block averages rounded to bytes, then to [-1, 1]); [M, 3, 16, 16].
 */
export function tilesOf(data: Dataset, keep: (style: string) => boolean): { tiles: Float32Array; emoji: string[] } {
  const size = data.size;
  const per = 3 * FEATURE * FEATURE;
  const picked = data.pixels.flatMap((_, i) => (data.train[i] && keep(data.style[i]) ? [i] : []));
  const tiles = new Float32Array(picked.length * per);
  const chw = new Float32Array(3 * size * size);
  picked.forEach((i, k) => {
    const rgb = data.pixels[i];
    for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) chw[c * size * size + p] = rgb[p * 3 + c];
    const avg = blockAverage(chw, { channels: 3, height: size, width: size }, FEATURE);
    for (let j = 0; j < per; j++) tiles[k * per + j] = Math.round(avg[j]) / 127.5 - 1;
  });
  return { tiles, emoji: picked.map((i) => data.rawEmoji[i]) };
}

/** Draw one tile index by the weights (what the prior alone settles on), with a uniform u in [0, 1). */
export function drawTile(weights: readonly number[], u: number): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let at = u * total;
  for (let i = 0; i < weights.length; i++) {
    if (!(weights[i] > 0)) continue;
    at -= weights[i];
    if (at < 0) return i;
  }
  return weights.findLastIndex((w) => w > 0);
}

/** A tile [3, 16, 16] in [-1, 1] upscaled (nearest) to a size x size RGB byte image. */
export function upscaleTile(tiles: Float32Array, index: number, size: number): Uint8Array {
  const per = 3 * FEATURE * FEATURE;
  const k = size / FEATURE;
  const out = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const b = Math.floor(y / k) * FEATURE + Math.floor(x / k);
      for (let c = 0; c < 3; c++) {
        const v = tiles[index * per + c * FEATURE * FEATURE + b];
        out[(y * size + x) * 3 + c] = Math.round(Math.min(255, Math.max(0, (v + 1) * 127.5)));
      }
    }
  }
  return out;
}
