// Which pairs of prior tiles read both ways as an anagram (no sampling): for each pair of prompts of
// the tuned list and each view, every pair of tiles (one per prompt, the second brought into the
// picture's frame) is blended three ways (the average, as the anagram's averaged estimate lays out;
// multiplied; the darker of the two) and judged as bench/eval-illusions.ts judges an anagram (16x16
// nearest artwork, top-5, as is and through the view). Prints the counts per blend and, for the
// average, the tile pairs from the closest two pictures to the farthest (1 = reads both ways).
//
//   npx tsx bench/eval-anagram-tiles.ts [--list tuned]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getView, type Shape } from '../src/diffusion/index.ts';
import { loadCoarsePrior, tileWeights } from '../src/runtime/coarse-prior.ts';
import { loadModel } from '../src/runtime/index.ts';
import { Judge, wantedOf } from './eval-illusions-judge.ts';
import { baseEmoji, loadDataset } from './eval-model-data.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { list: { type: 'string', default: 'tuned' } } });
const data = await loadDataset(root);
const judge = new Judge(data);
const model = await loadModel('emoji');
const prior = await loadCoarsePrior(model.dir, model.manifest.prior!, model.sampleShape);
const pairs = (JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'illusions', 'pairs.json'), 'utf8')) as Record<string, [string, string][]>)[values.list!];
const S: Shape = { channels: 3, height: prior.size, width: prior.size };
const per = 3 * prior.size * prior.size;
const hw = prior.size * prior.size;
/** A [-1, 1] CHW tile as the judge's HWC 0..1 feature. */
const feat = (chw: Float32Array) => {
  const f = new Float32Array(per);
  for (let c = 0; c < 3; c++) for (let p = 0; p < hw; p++) f[p * 3 + c] = (chw[c * hw + p] + 1) / 2;
  return f;
};
const BLENDS = {
  average: (y: number, u: number) => (y + u) / 2,
  multiplied: (y: number, u: number) => 2 * (((y + 1) / 2) * ((u + 1) / 2)) - 1,
  darker: (y: number, u: number) => Math.min(y, u),
};
for (const name of ['rotate180', 'flip']) {
  const view = getView(name);
  for (const [a, b] of pairs) {
    const A = await model.encodePrompt(a);
    const B = await model.encodePrompt(b);
    const wa = wantedOf(A.understood, baseEmoji);
    const wb = wantedOf(B.understood, baseEmoji);
    const ia = tileWeights(prior.emoji, A.understood).flatMap((w, i) => (w > 0 ? [i] : []));
    const ib = tileWeights(prior.emoji, B.understood).flatMap((w, i) => (w > 0 ? [i] : []));
    const counts: Record<string, number> = { average: 0, multiplied: 0, darker: 0 };
    const byGap: [number, number][] = [];
    for (const i of ia)
      for (const j of ib) {
        const y = prior.tiles.subarray(i * per, (i + 1) * per);
        const u = view.inverse(prior.tiles.slice(j * per, (j + 1) * per), S);
        let gap = 0;
        for (let k = 0; k < per; k++) gap += (y[k] - u[k]) ** 2;
        for (const [blend, f] of Object.entries(BLENDS)) {
          const x = y.map((v, k) => f(v, u[k]));
          const r1 = judge.read('whole', feat(x), new Uint8Array());
          const r2 = judge.read('whole', feat(view.apply(x, S)), new Uint8Array());
          const both = r1.some((e) => wa.has(e)) && r2.some((e) => wb.has(e));
          if (both) counts[blend]++;
          if (blend === 'average') byGap.push([gap, both ? 1 : 0]);
        }
      }
    byGap.sort((p, q) => p[0] - q[0]);
    const n = ia.length * ib.length;
    console.log(`${name} ${JSON.stringify(a)} / ${JSON.stringify(b)}: of ${n} tile pairs read both ways: average ${counts.average}, multiplied ${counts.multiplied}, darker ${counts.darker}; average, closest first: ${byGap.map((g) => g[1]).join('')}`);
  }
}
await model.dispose();
