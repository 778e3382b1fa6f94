// Evaluates a pixel model (default: the bundled emoji model) on a fixed prompt list and prints
// figures; nothing here is asserted by tests.
//
//   npm run eval:model -- [--model emoji] [--seeds 4] [--cfg <model default>] [--prior on|off]
//                         [--sheet docs/samples.png]
//
// Feature space (documented in models/emoji/README.md): each image is shrunk to 16x16 RGB (area
// average) and compared by Euclidean distance. A generation is "faithful" when its nearest
// dataset image (all styles, training and held-out concepts) shows one of the concepts the
// prompt encoder understood (skin tones folded onto their base emoji). Diversity: the mean
// pairwise distance between the seeds of one prompt, divided by the mean distance between
// random dataset images (0 = identical samples, 1 = as varied as the whole dataset). Closeness to
// the training set: the full 64x64 RGB distance from a sample to its nearest training image,
// divided by the mean distance between random dataset images (0 = a copy of a training image).
// `--prior off` samples with the UNet alone, without the model's coarse data prior.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';
import { createRng, makeSchedule, sample } from '../src/diffusion/index.ts';
import { loadModel } from '../src/runtime/index.ts';
import { tensorToRgb } from '../src/imaging/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'models', 'emoji', 'data', 'build');

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
const OTHER_PROMPTS = ['un chien', 'ロケット', 'a red heart', 'a grinning face'];
const FEATURE = 16;

interface Dataset {
  features: Float32Array[];
  /** Full-size RGB of every image (training and held-out), for the closeness to the training set. */
  pixels: Uint8Array[];
  /** Whether each image is a training image. */
  train: boolean[];
  emoji: string[];
  heldOutLabels: string[];
}

/** An emoji without skin-tone modifiers and variation selectors. */
const baseEmoji = (e: string) => e.replace(/\u{1F3FB}|\u{1F3FC}|\u{1F3FD}|\u{1F3FE}|\u{1F3FF}|\uFE0F|\uFE0E/gu, '');

async function feature(rgb: Uint8Array, size: number): Promise<Float32Array> {
  const small = await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .resize(FEATURE, FEATURE, { kernel: 'linear' })
    .raw()
    .toBuffer();
  return Float32Array.from(small, (v) => v / 255);
}

function dist(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s);
}

async function loadDataset(): Promise<Dataset> {
  if (!existsSync(join(buildDir, 'dataset.json'))) {
    console.log('building the dataset (npm run data:emoji) ...');
    execFileSync(process.execPath, ['--import', 'tsx', join(root, 'models', 'emoji', 'data', 'build.ts')], { stdio: 'inherit' });
  }
  const meta = JSON.parse(readFileSync(join(buildDir, 'dataset.json'), 'utf8')) as {
    size: number;
    images: { concept: number }[];
    concepts: { emoji: string; label: string; split: string }[];
  };
  const pixels = readFileSync(join(buildDir, 'images.u8'));
  const n = meta.size * meta.size * 3;
  const features: Float32Array[] = [];
  for (let i = 0; i < meta.images.length; i++) features.push(await feature(pixels.subarray(i * n, (i + 1) * n), meta.size));
  const heldOutLabels = meta.concepts
    .filter((c) => c.split === 'heldout' && !c.label.includes(':') && !c.label.startsWith('flag'))
    .map((c) => c.label);
  const images: Uint8Array[] = [];
  for (let i = 0; i < meta.images.length; i++) images.push(pixels.subarray(i * n, (i + 1) * n));
  return {
    features,
    pixels: images,
    train: meta.images.map((im) => meta.concepts[im.concept].split === 'train'),
    emoji: meta.images.map((im) => baseEmoji(meta.concepts[im.concept].emoji)),
    heldOutLabels,
  };
}

/** Mean distance between 2000 random pairs of items. */
function meanRandomDistance<T>(items: T[], d: (a: T, b: T) => number, rng: ReturnType<typeof createRng>): number {
  let sum = 0;
  for (let i = 0; i < 2000; i++) {
    const a = rng.uint32() % items.length;
    const b = rng.uint32() % items.length;
    sum += d(items[a], items[b]);
  }
  return sum / 2000;
}

/** Euclidean distance of two RGB byte images, on the 0..1 scale. */
function pixelDist(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return Math.sqrt(s) / 255;
}

async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: 'emoji' },
      seeds: { type: 'string', default: '4' },
      heldout: { type: 'string', default: '6' },
      cfg: { type: 'string' },
      prior: { type: 'string', default: 'on' },
      sheet: { type: 'string', default: join(root, 'docs', 'samples.png') },
    },
  });
  const seeds = Number(values.seeds);
  const data = await loadDataset();
  const model = await loadModel(values.model!);
  const schedule = makeSchedule(model.manifest.scheduler);
  const cfgScale = values.cfg === undefined ? model.manifest.defaults.guidance : Number(values.cfg);
  if (values.prior !== 'on' && values.prior !== 'off') throw new Error('--prior is on or off');
  const usePrior = values.prior === 'on' && model.coarsePrior !== undefined;
  const heldOut = data.heldOutLabels.filter((_, i) => i % 7 === 0).slice(0, Number(values.heldout));
  const groups: [string, string[]][] = [
    ['study', STUDY_PROMPTS],
    ['held-out concepts', heldOut.map((l) => `a ${l}`)],
    ['other languages and concepts', OTHER_PROMPTS],
  ];
  const uncond = (await model.encodePrompt('')).cond;
  const rng0 = createRng(1);
  const refDist = meanRandomDistance(data.features, dist, rng0);
  const refPixel = meanRandomDistance(data.pixels, pixelDist, rng0);
  // Reference for the closeness: how far real emoji the model never saw (held-out images) are from
  // their nearest training image, on the same scale (every 6th held-out image).
  let heldSum = 0;
  let heldN = 0;
  for (let h = 0; h < data.pixels.length; h++) {
    if (data.train[h] || h % 6 !== 0) continue;
    let nearest = Infinity;
    for (let i = 0; i < data.pixels.length; i++) if (data.train[i]) nearest = Math.min(nearest, pixelDist(data.pixels[h], data.pixels[i]));
    heldSum += nearest / refPixel;
    heldN++;
  }
  const rows: Uint8Array[][] = [];
  const started = performance.now();
  const { width, height } = model.imageShape;
  const priorText = usePrior ? 'with the coarse data prior' : 'UNet alone (no coarse data prior)';
  console.log(`model ${model.name}, ${seeds} seeds per prompt, 33 steps, CFG ${cfgScale}, ${priorText}`);
  for (const [group, prompts] of groups) {
    let hits = 0;
    let hits5 = 0;
    let total = 0;
    let divSum = 0;
    let closeSum = 0;
    for (const prompt of prompts) {
      const enc = await model.encodePrompt(prompt);
      const wanted = new Set(enc.understood.map((u) => baseEmoji(u.label.split(' ')[0])));
      const feats: Float32Array[] = [];
      const row: Uint8Array[] = [];
      const found: string[] = [];
      for (let s = 0; s < seeds; s++) {
        const prior = usePrior ? model.coarsePrior!(enc.understood) : undefined;
        const x = await sample({ shape: model.sampleShape, schedule, denoiser: model.denoiser, rng: createRng(1000 + s), cond: enc.cond, uncond, guidanceScale: cfgScale, prior });
        const rgb = tensorToRgb(await model.fromSample(x), width, height).rgb;
        let nearest = Infinity;
        for (let i = 0; i < data.pixels.length; i++) if (data.train[i]) nearest = Math.min(nearest, pixelDist(rgb, data.pixels[i]));
        closeSum += nearest / refPixel;
        row.push(rgb);
        const f = await feature(rgb, width);
        feats.push(f);
        const order = data.features.map((g, i) => [dist(f, g), i] as const).sort((a, b) => a[0] - b[0]);
        const top: string[] = [];
        for (const [, i] of order) {
          if (!top.includes(data.emoji[i])) top.push(data.emoji[i]);
          if (top.length === 5) break;
        }
        found.push(top[0]);
        if (wanted.has(top[0])) hits++;
        if (top.some((e) => wanted.has(e))) hits5++;
        total++;
      }
      let pair = 0;
      let pairs = 0;
      for (let i = 0; i < feats.length; i++) for (let j = i + 1; j < feats.length; j++) {
          pair += dist(feats[i], feats[j]);
          pairs++;
        }
      const diversity = pairs ? pair / pairs / refDist : 0;
      divSum += diversity;
      rows.push(row);
      const understood = enc.understood.map((u) => u.label).join(', ') || '(nothing)';
      console.log(`  ${JSON.stringify(prompt)}: understood ${understood}${enc.unknown.length ? `; unknown ${enc.unknown.join(', ')}` : ''}; nearest ${found.join(' ')}; diversity ${diversity.toFixed(2)}`);
    }
    console.log(`${group}: prompt fidelity top-1 ${((100 * hits) / total).toFixed(0)}% (${hits}/${total}), top-5 ${((100 * hits5) / total).toFixed(0)}%, diversity ${(divSum / prompts.length).toFixed(2)}, distance to the nearest training image ${(closeSum / total).toFixed(2)}`);
  }
  console.log(`reference: distance of a held-out data-set image to the nearest training image ${(heldSum / Math.max(heldN, 1)).toFixed(2)} (${heldN} images)`);
  console.log(`time ${((performance.now() - started) / 1000).toFixed(1)} s for ${rows.length * seeds} samples`);
  await writeSheet(rows, width, height, values.sheet!);
  await model.dispose();
}

async function writeSheet(rows: Uint8Array[][], w: number, h: number, file: string) {
  const scale = 2;
  const gap = 4;
  const cols = rows[0].length;
  const W = cols * (w * scale + gap) + gap;
  const H = rows.length * (h * scale + gap) + gap;
  const composites = [];
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < cols; c++) {
      const input = await sharp(rows[r][c], { raw: { width: w, height: h, channels: 3 } })
        .resize(w * scale, h * scale, { kernel: 'nearest' })
        .png()
        .toBuffer();
      composites.push({ input, left: gap + c * (w * scale + gap), top: gap + r * (h * scale + gap) });
    }
  }
  mkdirSync(dirname(file), { recursive: true });
  await sharp({ create: { width: W, height: H, channels: 3, background: '#ffffff' } }).composite(composites).png().toFile(file);
  console.log(`contact sheet ${file} (${rows.length} prompts x ${cols} seeds)`);
}

await main(process.argv.slice(2));
