// Sampler sweep of a pixel model with a coarse data prior (default: the bundled emoji model):
// sampler x steps -> fidelity with and without the prior, diversity, seconds per image. Nothing here
// is asserted by tests; the measures are those of bench/eval-model.ts (documented in
// models/emoji/README.md).
//
//   npm run eval:sweep -- [--model emoji] [--seeds 3] [--cfg <model default>]
//                         [--samplers ddpm,ddim,dpmpp-2m,dpmpp-2m-karras,euler-a] [--steps 8,12,20,33]
//                         [--time-only]   (seconds per image only: 3 rounds over 3 of the study's prompts, seed 1000;
//                                          for a quiet machine, since the measuring run is long)
//
// Prompts: the study's 9 and 4 in other languages or of frequent emoji, seeds 1000, 1001, ...
// Per cell, every prompt and seed is sampled twice from the same noise: by the trained network alone
// (prior off) and by prior + network (the shipped sampler). "16x16 top-1" is the share of samples
// whose nearest data-set image (16x16 RGB, all styles) shows an emoji the prompt encoder understood;
// with the prior that picture is largely set by construction, so the prior-off column is the
// network's own figure. Diversity is the mean 16x16 distance between a prompt's seeds over that of
// random data-set images. Seconds per image: the sampling loop only (prior + network, CFG pairs),
// median over the cell, measured while nothing else is timed.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng, createSampler, makeSchedule, sample, type Sampler, type X0Refiner } from '../src/diffusion/index.ts';
import { tensorToRgb } from '../src/imaging/index.ts';
import { loadModel, type LoadedModel } from '../src/runtime/index.ts';
import { baseEmoji, dist, feature, loadDataset, nearestEmoji, OTHER_PROMPTS, STUDY_PROMPTS } from './eval-model-data.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

interface Cell {
  hits: { prior: number; unet: number };
  top5: { prior: number; unet: number };
  div: { prior: number; unet: number };
  n: number;
  prompts: number;
  secs: number[];
}

async function main(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: 'emoji' },
      seeds: { type: 'string', default: '3' },
      cfg: { type: 'string' },
      samplers: { type: 'string', default: 'ddpm,ddim,dpmpp-2m,dpmpp-2m-karras,euler-a' },
      steps: { type: 'string', default: '8,12,20,33' },
      'time-only': { type: 'boolean', default: false },
    },
  });
  const seeds = Number(values.seeds);
  const stepCounts = values.steps!.split(',').map(Number);
  const model = await loadModel(values.model!);
  const samplers = values.samplers!.split(',').map((s) => createSampler(s.trim(), model.manifest.scheduler));
  if (values['time-only']) return timeOnly(model, samplers, stepCounts, values.cfg);
  const data = await loadDataset(root);
  const m = model.manifest;
  if (!m.prior) throw new Error(`model ${model.name} has no coarse prior`);
  const schedule = makeSchedule(m.scheduler);
  const cfgScale = values.cfg === undefined ? m.defaults.guidance : Number(values.cfg);
  const uncond = (await model.encodePrompt('')).cond;
  const all = data.pixels.map((_, i) => i);
  const rng0 = createRng(1);
  const pairs = Array.from({ length: 2000 }, () => [rng0.uint32() % all.length, rng0.uint32() % all.length]);
  const refDist = pairs.reduce((s, [a, b]) => s + dist(data.features[a], data.features[b]), 0) / pairs.length;
  const prompts = await Promise.all(
    [...STUDY_PROMPTS, ...OTHER_PROMPTS].map(async (text) => {
      const enc = await model.encodePrompt(text);
      return { text, enc, wanted: new Set(enc.understood.map((u) => baseEmoji(u.label.split(' ')[0]))), prior: model.coarsePrior?.(enc.understood) };
    }),
  );
  console.log(`model ${model.name}, ${prompts.length} prompts x ${seeds} seeds (1000..${999 + seeds}), CFG ${cfgScale}`);

  const rows: [string, number, Cell][] = [];
  for (const loopSampler of samplers) {
    for (const steps of stepCounts) {
      const cell: Cell = { hits: { prior: 0, unet: 0 }, top5: { prior: 0, unet: 0 }, div: { prior: 0, unet: 0 }, n: 0, prompts: 0, secs: [] };
      for (const p of prompts) {
        const feats = { prior: [] as Float32Array[], unet: [] as Float32Array[] };
        for (let s = 0; s < seeds; s++) {
          const run = async (prior: X0Refiner | undefined) => {
            const t0 = performance.now();
            const x = await sample({ shape: model.sampleShape, schedule, denoiser: model.denoiser, rng: createRng(1000 + s), cond: p.enc.cond, uncond, guidanceScale: cfgScale, prior, sampler: loopSampler, steps });
            const secs = (performance.now() - t0) / 1000;
            return { rgb: tensorToRgb(await model.fromSample(x), data.size, data.size).rgb, secs };
          };
          const unet = await run(undefined);
          const shipped = p.prior ? await run(p.prior) : unet;
          cell.secs.push(shipped.secs);
          for (const [key, out] of [['unet', unet], ['prior', shipped]] as const) {
            const f = await feature(out.rgb, data.size);
            feats[key].push(f);
            const top = nearestEmoji(all, (i) => dist(f, data.features[i]), data.emoji);
            if (p.wanted.has(top[0])) cell.hits[key]++;
            if (top.some((e) => p.wanted.has(e))) cell.top5[key]++;
          }
          cell.n++;
        }
        for (const key of ['unet', 'prior'] as const) {
          const fs = feats[key];
          let sum = 0;
          let k = 0;
          for (let i = 0; i < fs.length; i++) for (let j = i + 1; j < fs.length; j++) [sum, k] = [sum + dist(fs[i], fs[j]), k + 1];
          cell.div[key] += k ? sum / k / refDist : 0;
        }
        cell.prompts++;
      }
      rows.push([loopSampler.name, steps, cell]);
      console.log(`  ${loopSampler.name} ${steps} steps: ${line(cell)}`);
    }
  }
  const base = rows.find(([name, steps]) => name === 'ddpm' && steps === 33)?.[2];
  const baseSecs = base ? median(base.secs) : undefined;
  console.log(`\n| sampler | steps | 16x16 top-1, prior + UNet | top-5 | 16x16 top-1, UNet alone (prior off) | top-5 | diversity, prior + UNet | diversity, UNet alone | s per image | vs ddpm 33 |`);
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [name, steps, c] of rows) {
    const secs = median(c.secs);
    console.log(
      `| ${name} | ${steps} | ${pct(c.hits.prior, c.n)} | ${pct(c.top5.prior, c.n)} | ${pct(c.hits.unet, c.n)} | ${pct(c.top5.unet, c.n)} | ` +
        `${(c.div.prior / c.prompts).toFixed(2)} | ${(c.div.unet / c.prompts).toFixed(2)} | ${secs.toFixed(3)} | ${baseSecs ? `${(secs / baseSecs).toFixed(2)}x` : ''} |`,
    );
  }
  await model.dispose();
}

/** Seconds per image of each sampler and step count (prior + network, CFG): cells interleaved over 3 rounds, medians. */
async function timeOnly(model: LoadedModel, samplers: Sampler[], stepCounts: number[], cfg: string | undefined): Promise<void> {
  const m = model.manifest;
  const schedule = makeSchedule(m.scheduler);
  const cfgScale = cfg === undefined ? m.defaults.guidance : Number(cfg);
  const uncond = (await model.encodePrompt('')).cond;
  const timed = STUDY_PROMPTS.slice(0, 3);
  const prompts = await Promise.all(timed.map(async (text) => { const enc = await model.encodePrompt(text); return { enc, prior: model.coarsePrior?.(enc.understood) }; }));
  const cells = samplers.flatMap((s) => stepCounts.map((steps) => ({ s, steps, secs: [] as number[] })));
  for (let round = 0; round < 3; round++) {
    for (const c of cells) {
      for (const p of prompts) {
        const t0 = performance.now();
        await sample({ shape: model.sampleShape, schedule, denoiser: model.denoiser, rng: createRng(1000), cond: p.enc.cond, uncond, guidanceScale: cfgScale, prior: p.prior, sampler: c.s, steps: c.steps });
        c.secs.push((performance.now() - t0) / 1000);
      }
    }
  }
  const base = cells.find((c) => c.s.name === 'ddpm' && c.steps === 33);
  console.log(`model ${model.name}, CFG ${cfgScale}, ${timed.length} prompts x 3 rounds per cell\n\n| sampler | steps | s per image | vs ddpm 33 |\n| --- | --- | --- | --- |`);
  for (const c of cells) console.log(`| ${c.s.name} | ${c.steps} | ${median(c.secs).toFixed(3)} | ${base ? `${(median(c.secs) / median(base.secs)).toFixed(2)}x` : ''} |`);
  await model.dispose();
}

function pct(k: number, n: number): string {
  return `${((100 * k) / n).toFixed(0)}% (${k}/${n})`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

function line(c: Cell): string {
  return `prior + UNet ${pct(c.hits.prior, c.n)}, UNet alone ${pct(c.hits.unet, c.n)}, ${median(c.secs).toFixed(3)} s per image`;
}

await main(process.argv.slice(2));
