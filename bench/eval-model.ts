// Evaluates a pixel model with a coarse data prior (default: the bundled emoji model) on a fixed
// prompt list and prints figures side by side for five samplers; nothing here is asserted by tests.
//
//   npm run eval:model -- [--model emoji] [--seeds 3] [--heldout 6] [--cfg <model default>]
//                         [--sampler ddpm|ddim|dpmpp-2m|...] [--steps 33]   (the loop's update rule and step count)
//                         [--sheet docs/samples.png]   (contact sheet of prior + UNet; none by default)
//   npm run eval:model -- --illusions [...]   anagrams, hybrids and inpainting per view (bench/eval-illusions.ts)
//   npm run eval:model -- --prompts [--model emoji] [--verbose]   prompt understanding only (bench/eval-prompts.ts)
//
// First, prompt understanding: the share of natural prompts (test/fixtures/prompts/) read as the
// single intended emoji, on the tuning list and the held-out list (bench/eval-prompts.ts).
//
// Samplers, per prompt and seed (seeds 1000, 1001, ...):
//   prior alone            one tile of the prompt's concepts drawn by the prior's weights, upscaled
//                          to 64x64 (what the closed-form denoiser alone settles on; no UNet)
//   UNet alone             the trained network, no prior
//   prior + UNet           the shipped sampler (CLI and bot)
//   ... style held out     the same with the prior's tiles rebuilt without the artwork set (Noto,
//                          Twemoji or Fluent) that the sample is measured against
// Measures (documented in models/emoji/README.md):
//   16x16 nearest          the nearest data-set image by 16x16 RGB (all styles) shows a concept the
//                          prompt encoder understood (skin tones folded), top-1 and among 5 nearest
//                          emoji; this is the picture the prior sets, so it is fidelity by construction
//   64x64, held-out style  the same with the full 64x64 RGB among the images of one artwork set
//                          (seed s measures against set s mod 3 of those that draw the concept)
//   detail, held-out style the same on the detail only (each pixel minus its 4x4 block average),
//                          the part of the picture the prior does not set
//   diversity              mean 16x16 distance between a prompt's seeds / mean distance of random images
//   distance to training   64x64 RGB distance to the nearest training image, same relative scale
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { coarsePriorRefiner, createRng, createSampler, makeSchedule, sample, type X0Refiner } from '../src/diffusion/index.ts';
import { tensorToRgb } from '../src/imaging/index.ts';
import { tileWeights } from '../src/runtime/coarse-prior.ts';
import { loadModel } from '../src/runtime/index.ts';
import {
  baseEmoji,
  blockSumsOf,
  detailDist,
  dist,
  drawTile,
  feature,
  loadDataset,
  nearestEmoji,
  pixelDist,
  tilesOf,
  upscaleTile,
  OTHER_PROMPTS,
  STUDY_PROMPTS,
  STYLES,
} from './eval-model-data.ts';
import { writeSheet } from './eval-model-sheet.ts';
import { evalPrompts } from './eval-prompts.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const SAMPLERS = [
  'prior alone',
  'prior alone, style held out',
  'UNet alone',
  'prior + UNet',
  'prior + UNet, style held out',
] as const;
type Sampler = (typeof SAMPLERS)[number];

interface Tally {
  n: number;
  f16: [number, number];
  p64: [number, number];
  det: [number, number];
  close: number;
  div: number;
  prompts: number;
}
const tally = (): Tally => ({ n: 0, f16: [0, 0], p64: [0, 0], det: [0, 0], close: 0, div: 0, prompts: 0 });

async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: 'emoji' },
      seeds: { type: 'string', default: '3' },
      heldout: { type: 'string', default: '6' },
      cfg: { type: 'string' },
      sampler: { type: 'string', default: 'ddpm' },
      steps: { type: 'string', default: '33' },
      sheet: { type: 'string' },
    },
  });
  const seeds = Number(values.seeds);
  evalPrompts(values.model!);
  const data = await loadDataset(root);
  const model = await loadModel(values.model!);
  const m = model.manifest;
  if (!m.prior) throw new Error(`model ${model.name} has no coarse prior`);
  const schedule = makeSchedule(m.scheduler);
  const cfgScale = values.cfg === undefined ? m.defaults.guidance : Number(values.cfg);
  const loopSampler = createSampler(values.sampler!, m.scheduler);
  const steps = Number(values.steps);
  const heldOut = data.heldOutLabels.filter((_, i) => i % 7 === 0).slice(0, Number(values.heldout));
  const groups: [string, string[]][] = [
    ['the study\'s prompts', STUDY_PROMPTS],
    ['held-out concepts', heldOut.map((l) => `a ${l}`)],
    ['other languages and concepts', OTHER_PROMPTS],
  ];
  const uncond = (await model.encodePrompt('')).cond;
  const size = data.size;
  const shipped = tilesOf(data, () => true);
  const without = Object.fromEntries(STYLES.map((s) => [s, tilesOf(data, (st) => st !== s)]));
  const byStyle = Object.fromEntries(STYLES.map((s) => [s, data.pixels.flatMap((_, i) => (data.style[i] === s ? [i] : []))]));
  const all = data.pixels.map((_, i) => i);
  const trainIdx = all.filter((i) => data.train[i]);
  const rng0 = createRng(1);
  const pairs = Array.from({ length: 2000 }, () => [rng0.uint32() % all.length, rng0.uint32() % all.length]);
  const refDist = pairs.reduce((s, [a, b]) => s + dist(data.features[a], data.features[b]), 0) / pairs.length;
  const refPixel = pairs.reduce((s, [a, b]) => s + pixelDist(data.pixels[a], data.pixels[b]), 0) / pairs.length;

  const refinerOf = (t: { tiles: Float32Array; emoji: string[] }, understood: Parameters<typeof tileWeights>[1]): X0Refiner | undefined => {
    const weights = tileWeights(t.emoji, understood);
    const picked = weights.flatMap((w, i) => (w > 0 ? [i] : []));
    if (picked.length === 0) return undefined;
    const per = 3 * 16 * 16;
    const sub = new Float32Array(picked.length * per);
    picked.forEach((i, j) => sub.set(t.tiles.subarray(i * per, (i + 1) * per), j * per));
    return coarsePriorRefiner({ shape: model.sampleShape, size: 16, tiles: sub, weights: picked.map((i) => weights[i]), fromT: m.prior!.from_t, toT: m.prior!.to_t });
  };

  const sheetRows: Uint8Array[][] = [];
  const sheetLabels: string[] = [];
  const started = performance.now();
  let unetSamples = 0;
  console.log(`model ${model.name}, ${seeds} seeds per prompt (1000..${999 + seeds}), ${steps} steps of ${loopSampler.name}, CFG ${cfgScale}`);
  const results: [string, number, Map<Sampler, Tally>][] = [];
  for (const [group, prompts] of groups) {
    const tallies = new Map<Sampler, Tally>(SAMPLERS.map((s) => [s, tally()]));
    for (const prompt of prompts) {
      const enc = await model.encodePrompt(prompt);
      const wanted = new Set(enc.understood.map((u) => baseEmoji(u.label.split(' ')[0])));
      const drawn = STYLES.filter((st) => byStyle[st].some((i) => wanted.has(data.emoji[i])));
      const feats = new Map<Sampler, Float32Array[]>(SAMPLERS.map((s) => [s, []]));
      const nearest = new Map<Sampler, string[]>(SAMPLERS.map((s) => [s, []]));
      const row: Uint8Array[] = [];
      for (let s = 0; s < seeds; s++) {
        const measured = drawn.length ? drawn[s % drawn.length] : STYLES[s % 3];
        const pictures = new Map<Sampler, Uint8Array | undefined>();
        const u = createRng(2000 + s).uint32() / 2 ** 32;
        const pickFrom = (t: { tiles: Float32Array; emoji: string[] }) => {
          const w = tileWeights(t.emoji, enc.understood);
          return w.some((v) => v > 0) ? upscaleTile(t.tiles, drawTile(w, u), size) : undefined;
        };
        pictures.set('prior alone', pickFrom(shipped));
        pictures.set('prior alone, style held out', pickFrom(without[measured]));
        const run = async (prior: X0Refiner | undefined) => {
          unetSamples++;
          const x = await sample({ shape: model.sampleShape, schedule, denoiser: model.denoiser, rng: createRng(1000 + s), cond: enc.cond, uncond, guidanceScale: cfgScale, prior, sampler: loopSampler, steps });
          return tensorToRgb(await model.fromSample(x), size, size).rgb;
        };
        // Without tiles for the prompt's concepts the prior does nothing: those samples are the UNet's.
        const unet = await run(undefined);
        const withPrior = async (prior: X0Refiner | undefined) => (prior ? run(prior) : unet);
        pictures.set('UNet alone', unet);
        pictures.set('prior + UNet', await withPrior(model.coarsePrior?.(enc.understood)));
        pictures.set('prior + UNet, style held out', await withPrior(refinerOf(without[measured], enc.understood)));
        row.push(pictures.get('prior + UNet')!);
        for (const [sampler, rgb] of pictures) {
          if (!rgb) continue;
          const t = tallies.get(sampler)!;
          const f = await feature(rgb, size);
          const sums = blockSumsOf(rgb, size);
          feats.get(sampler)!.push(f);
          const hit = (top: string[], into: [number, number]) => {
            if (wanted.has(top[0])) into[0]++;
            if (top.some((e) => wanted.has(e))) into[1]++;
          };
          const top16 = nearestEmoji(all, (i) => dist(f, data.features[i]), data.emoji);
          nearest.get(sampler)!.push(top16[0]);
          hit(top16, t.f16);
          hit(nearestEmoji(byStyle[measured], (i) => pixelDist(rgb, data.pixels[i]), data.emoji), t.p64);
          hit(nearestEmoji(byStyle[measured], (i) => detailDist(rgb, sums, data.pixels[i], data.blockSums[i], size), data.emoji), t.det);
          let close = Infinity;
          for (const i of trainIdx) close = Math.min(close, pixelDist(rgb, data.pixels[i]));
          t.close += close / refPixel;
          t.n++;
        }
      }
      const understood = enc.understood.map((c) => c.label).join(', ') || '(nothing)';
      console.log(`  ${JSON.stringify(prompt)}: understood ${understood}${enc.unknown.length ? `; unknown ${enc.unknown.join(', ')}` : ''}`);
      for (const sampler of SAMPLERS) {
        const fs = feats.get(sampler)!;
        if (fs.length === 0) continue;
        let sum = 0;
        let n = 0;
        for (let i = 0; i < fs.length; i++) for (let j = i + 1; j < fs.length; j++) [sum, n] = [sum + dist(fs[i], fs[j]), n + 1];
        const t = tallies.get(sampler)!;
        t.div += n ? sum / n / refDist : 0;
        t.prompts++;
        console.log(`    ${sampler}: nearest (16x16) ${nearest.get(sampler)!.join(' ')}`);
      }
      sheetRows.push(row);
      sheetLabels.push(prompt);
    }
    results.push([group, prompts.length, tallies]);
  }
  const secs = (performance.now() - started) / 1000;
  console.log(`\ntime ${secs.toFixed(1)} s (${unetSamples} UNet samples, ${(secs / Math.max(unetSamples, 1)).toFixed(2)} s per sample with the measuring)\n`);
  const pct = (k: number, n: number) => `${((100 * k) / n).toFixed(0)}%`;
  console.log('| prompts | sampler | 16x16 nearest, all styles: top-1 | top-5 | 64x64 nearest, held-out style: top-1 | top-5 | detail only, held-out style: top-1 | top-5 | diversity | distance to nearest training image |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [group, count, tallies] of results) {
    let first = true;
    for (const sampler of SAMPLERS) {
      const t = tallies.get(sampler)!;
      const label = first ? `${group} (${count} x ${seeds})` : '';
      first = false;
      if (t.n === 0) {
        console.log(`| ${label} | ${sampler} | no tiles: no samples | | | | | | | |`);
        continue;
      }
      console.log(
        `| ${label} | ${sampler}${t.n < count * seeds ? ` (${t.n} samples)` : ''} | ${pct(t.f16[0], t.n)} (${t.f16[0]}/${t.n}) | ${pct(t.f16[1], t.n)} | ` +
          `${pct(t.p64[0], t.n)} (${t.p64[0]}/${t.n}) | ${pct(t.p64[1], t.n)} | ${pct(t.det[0], t.n)} (${t.det[0]}/${t.n}) | ${pct(t.det[1], t.n)} | ` +
          `${(t.div / Math.max(t.prompts, 1)).toFixed(2)} | ${(t.close / t.n).toFixed(2)} |`,
      );
    }
  }
  if (values.sheet) await writeSheet(sheetRows, size, size, values.sheet, sheetLabels);
  await model.dispose();
}

const args = process.argv.slice(2);
// --illusions: anagrams, hybrids and inpainting judged per view (bench/eval-illusions.ts).
if (args.includes('--prompts')) {
  const { values } = parseArgs({ args: args.filter((a) => a !== '--prompts'), options: { model: { type: 'string', default: 'emoji' }, verbose: { type: 'boolean', default: false } } });
  evalPrompts(values.model, undefined, values.verbose);
} else if (args.includes('--illusions')) await (await import('./eval-illusions.ts')).main(args.filter((a) => a !== '--illusions'));
else await main(args);
