// The README's contact sheet of the bundled model (docs/samples.png): the eval's prompts (the study's,
// six held-out concepts and other languages), seeds 1000-1003, drawn as the bot draws them (the
// model's defaults: the coarse prior and the trained network, 33 strided DDPM steps, CFG 3), one
// row per prompt with the prompt written beside it.
//   npx tsx bench/samples-sheet.ts [--out docs/samples.png] [--model emoji]
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { tensorToRgb } from '../src/imaging/index.ts';
import { executeJob } from '../src/pipeline/execute.ts';
import { loadModel } from '../src/runtime/index.ts';
import { loadDataset, OTHER_PROMPTS, STUDY_PROMPTS } from './eval-model-data.ts';
import { writeSheet } from './eval-model-sheet.ts';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/samples.png' }, model: { type: 'string', default: 'emoji' } } });
const data = await loadDataset(root);
const heldOut = data.heldOutLabels.filter((_, i) => i % 7 === 0).slice(0, 6);
const prompts = [...STUDY_PROMPTS, ...heldOut.map((l) => `a ${l}`), ...OTHER_PROMPTS];
const model = await loadModel(values.model!);
const { width, height } = model.imageShape;
const rows: Uint8Array[][] = [];
for (const prompt of prompts) {
  // Four candidates in one batched job: candidate i is the picture of the 1-candidate job of seed 1000 + i.
  const r = await executeJob({ technique: 'imagine', prompt, seed: 1000, count: 4 }, {
    model,
    loadImage: () => Promise.reject(new Error('no images here')),
    loadMask: () => Promise.reject(new Error('no images here')),
    readResult: () => Promise.reject(new Error('no results here')),
  });
  rows.push((r.candidates ?? [r.finalImage]).map((c) => tensorToRgb(c, width, height).rgb));
  console.log(`${prompt}: ${rows.length}/${prompts.length}`);
}
// The sheet's pixel font writes Latin letters: prompts in other scripts are labelled by how they read.
const SPOKEN: Record<string, string> = { ロケット: 'roketto (japanese: rocket)' };
await writeSheet(rows, width, height, resolve(root, values.out!), prompts.map((p) => SPOKEN[p] ?? p));
await model.dispose();
