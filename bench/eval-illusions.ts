// The illusion eval (npm run eval:model -- --illusions): anagrams, hybrids and inpainting on a pixel
// model with a coarse data prior (default: the bundled emoji model), each view judged against its
// own prompt (bench/eval-illusions-judge.ts), for prior + UNet (what the bot runs), the UNet alone
// and the prior alone; nothing here is asserted by tests.
//
//   npm run eval:model -- --illusions [--pairs test/fixtures/illusions/pairs.json] [--lists tuned,heldout]
//        [--techniques anagram,hybrid,inpaint] [--views rotate180,flip] [--seeds 1] [--max-pairs N]
//        [--steps 33] [--cfg <model default>] [--variants 'prior + UNet,UNet alone,prior alone']
//        (anagrams also 'joint prior + UNet': the experimental prior of bench/eval-joint-prior.ts)
//        [--pair "a pencil|a sun" ...]   (these pairs instead of the lists)   [--sheet docs/illusions.png]
//
// Per pair [a, b] and seed (1000, 1001, ...):
//   anagram   a upright, b through the view: "as is" read whole against a, "through the view" (the
//             view applied to the picture, so b should read upright) read whole against b; "both"
//             counts pictures whose two readings are top-5 hits
//   hybrid    a far, b near: the far reading (8x8 downscaled copy) against a, the near reading
//             (high-pass) against b
//   inpaint   a into the right half of a data-set artwork of b (style: seed s takes set s mod 3 of
//             those that draw b): the region reading of the right half against a; "original" is the
//             control, the artwork of b itself read the same way
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  anagram,
  anagramEstimator,
  coarsePriorRefiner,
  createRng,
  createSampler,
  gaussianBlur,
  getView,
  hybrid,
  hybridFilterFor,
  inpaint,
  makeSchedule,
  priorRegion,
  sampleLoop,
  withCoarsePrior,
  type Conditioning,
  type Denoiser,
  type Guidance,
  type RecipeBase,
} from '../src/diffusion/index.ts';
import { tensorToRgb } from '../src/imaging/index.ts';
import { loadCoarsePrior, tileWeights } from '../src/runtime/coarse-prior.ts';
import { loadModel } from '../src/runtime/index.ts';
import type { UnderstoodConcept } from '../src/runtime/types.ts';
import { jointAnagramRefiner } from './eval-joint-prior.ts';
import { Judge, priorAloneDenoiser, regionBlocks, wantedOf, type Reading } from './eval-illusions-judge.ts';
import { baseEmoji, feature, loadDataset, STYLES } from './eval-model-data.ts';
import { writeSheet } from './eval-model-sheet.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const VARIANTS = ['prior + UNet', 'UNet alone', 'prior alone'] as const;
/** Anagrams only, on request (--variants): the experimental joint prior of bench/eval-joint-prior.ts. */
const JOINT = 'joint prior + UNet';
type Variant = (typeof VARIANTS)[number] | typeof JOINT | 'original';

interface Count {
  n: number;
  top1: number;
  top5: number;
}
/** Tallies by "list|technique|variant|reading". */
const tallies = new Map<string, Count>();
function count(key: string, top: string[], wanted: Set<string>): void {
  const c = tallies.get(key) ?? { n: 0, top1: 0, top5: 0 };
  c.n++;
  if (wanted.has(top[0])) c.top1++;
  if (top.some((e) => wanted.has(e))) c.top5++;
  tallies.set(key, c);
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string', default: 'emoji' },
      pairs: { type: 'string', default: join(root, 'test', 'fixtures', 'illusions', 'pairs.json') },
      lists: { type: 'string', default: 'tuned,heldout' },
      pair: { type: 'string', multiple: true },
      techniques: { type: 'string', default: 'anagram,hybrid,inpaint' },
      views: { type: 'string', default: 'rotate180,flip' },
      seeds: { type: 'string', default: '1' },
      'max-pairs': { type: 'string' },
      steps: { type: 'string', default: '33' },
      cfg: { type: 'string' },
      variants: { type: 'string', default: VARIANTS.join(',') },
      'prior-from': { type: 'string' },
      'prior-to': { type: 'string' },
      sheet: { type: 'string' },
    },
  });
  const variants = VARIANTS.filter((v) => values.variants!.split(',').includes(v));
  const joint = values.variants!.split(',').includes(JOINT);
  // --pair "a|b" (repeatable): those pairs instead of the lists (the README's pictures).
  const given = (values.pair ?? []).map((p) => p.split('|').map((x) => x.trim()) as [string, string]);
  if (given.some((p) => p.length !== 2 || !p[0] || !p[1])) throw new Error('--pair takes "prompt a|prompt b"');
  const pairsFile = given.length
    ? { given }
    : (JSON.parse(readFileSync(values.pairs!, 'utf8')) as Record<string, [string, string][]>);
  const lists = given.length ? ['given'] : values.lists!.split(',');
  const techniques = values.techniques!.split(',');
  const views = values.views!.split(',').map(getView);
  const seeds = Number(values.seeds);
  const maxPairs = values['max-pairs'] ? Number(values['max-pairs']) : Infinity;
  const data = await loadDataset(root);
  const judge = new Judge(data);
  const model = await loadModel(values.model!);
  const m = model.manifest;
  if (!m.prior || !model.coarsePrior) throw new Error(`model ${model.name} has no coarse prior`);
  const shape = model.sampleShape;
  const size = shape.width;
  const prior = await loadCoarsePrior(model.dir, m.prior, shape);
  const schedule = makeSchedule(m.scheduler);
  const sampler = createSampler('ddpm', m.scheduler);
  const steps = Number(values.steps);
  const cfgScale = values.cfg === undefined ? m.defaults.guidance : Number(values.cfg);
  const uncond = (await model.encodePrompt('')).cond;
  const concepts = new Map<Conditioning, readonly UnderstoodConcept[]>();
  const encode = async (p: string) => {
    const e = await model.encodePrompt(p);
    concepts.set(e.cond, e.understood);
    return e;
  };
  const toRgb = async (x: Float32Array) => tensorToRgb(await model.fromSample(x), size, size).rgb;
  const sheetRows: Uint8Array[][] = [];
  const started = performance.now();
  let samples = 0;
  console.log(`model ${model.name}, ${seeds} seed(s) per case (1000..${999 + seeds}), ${steps} steps of ddpm, CFG ${cfgScale} (prior alone: no CFG)`);

  /** The recipe options of one variant: its denoiser, guidance, and the priors it wraps each prompt's branch with. */
  const variant = (v: (typeof VARIANTS)[number], seed: number, region?: Float32Array) => {
    const denoiser: Denoiser = v === 'prior alone' ? priorAloneDenoiser(prior, schedule, shape, concepts, region) : model.denoiser;
    const base: RecipeBase & Guidance = {
      shape,
      schedule,
      denoiser,
      rng: createRng(seed),
      sampler,
      steps,
      ...(v === 'prior alone' ? {} : { uncond, guidanceScale: cfgScale }),
    };
    return base;
  };
  // --prior-from / --prior-to: the prior's ramp other than the manifest's (an experiment; the bot uses the manifest's).
  const ramp = { fromT: Number(values['prior-from'] ?? m.prior.from_t), toT: Number(values['prior-to'] ?? m.prior.to_t) };
  const custom = ramp.fromT !== m.prior.from_t || ramp.toT !== m.prior.to_t;
  if (custom) console.log(`prior ramp: full from t = ${ramp.fromT}, none at t = ${ramp.toT} (the manifest's: ${m.prior.from_t}, ${m.prior.to_t})`);
  const priorOf = (v: string, understood: readonly UnderstoodConcept[], mask?: Float32Array) => {
    if (v !== 'prior + UNet') return undefined;
    if (!custom) return model.coarsePrior!(understood, mask);
    const w = tileWeights(prior.emoji, understood);
    const picked = w.flatMap((x, i) => (x > 0 ? [i] : []));
    if (picked.length === 0) return undefined;
    const per = 3 * prior.size * prior.size;
    const tiles = new Float32Array(picked.length * per);
    picked.forEach((i, j) => tiles.set(prior.tiles.subarray(i * per, (i + 1) * per), j * per));
    const region = mask ? priorRegion(mask, shape, prior.size) : undefined;
    return coarsePriorRefiner({ shape, size: prior.size, tiles, weights: picked.map((i) => w[i]), ...ramp, region });
  };

  for (const list of lists) {
    const pairs = (pairsFile[list] ?? []).slice(0, maxPairs);
    if (pairs.length === 0) throw new Error(`no pairs in list "${list}" of ${values.pairs}`);
    for (const [a, b] of pairs) {
      const A = await encode(a);
      const B = await encode(b);
      const wantA = wantedOf(A.understood, baseEmoji);
      const wantB = wantedOf(B.understood, baseEmoji);
      const line: string[] = [];
      for (let s = 0; s < seeds; s++) {
        const seed = 1000 + s;
        if (techniques.includes('anagram')) {
          for (const view of views) {
            const row: Uint8Array[] = [];
            const notes: string[] = [];
            for (const v of variants) {
              const x = await anagram({
                ...variant(v, seed),
                upright: A.cond,
                transformed: B.cond,
                view,
                uprightPrior: priorOf(v, A.understood),
                transformedPrior: priorOf(v, B.understood),
              });
              samples += v === 'prior alone' ? 0 : 1;
              const asIs = await toRgb(x);
              const seen = await toRgb(view.apply(x, shape));
              const r1 = judge.read('whole', await feature(asIs, size), asIs);
              const r2 = judge.read('whole', await feature(seen, size), seen);
              const key = `${list}|anagram ${view.name}|${v}`;
              count(`${key}|as is`, r1, wantA);
              count(`${key}|through the view`, r2, wantB);
              const both = r1.some((e) => wantA.has(e)) && r2.some((e) => wantB.has(e));
              count(`${key}|both`, both ? ['y'] : ['n'], new Set(['y']));
              row.push(asIs, seen);
              notes.push(`${v}: ${r1.slice(0, 3).join('')} / ${r2.slice(0, 3).join('')}${both ? ' both' : ''}`);
            }
            if (joint) {
              const tilesOf = (understood: readonly UnderstoodConcept[]) => {
                const w = tileWeights(prior.emoji, understood);
                const picked = w.flatMap((x, i) => (x > 0 ? [i] : []));
                const per = 3 * prior.size * prior.size;
                const tiles = new Float32Array(picked.length * per);
                picked.forEach((i, j) => tiles.set(prior.tiles.subarray(i * per, (i + 1) * per), j * per));
                return { tiles, weights: picked.map((i) => w[i]) };
              };
              const refine = jointAnagramRefiner({ shape, size: prior.size, a: tilesOf(A.understood), b: tilesOf(B.understood), view, ...ramp });
              const o = variant('prior + UNet', seed);
              const plan = o.sampler.plan(o.steps, o.schedule);
              const x0 = o.rng.normal(3 * size * size);
              const parts = [
                { cond: A.cond, view: getView('identity') },
                { cond: B.cond, view },
              ];
              const estimator = withCoarsePrior(anagramEstimator(parts, o, shape), refine, schedule, plan.x0.clip !== undefined);
              const x = await sampleLoop({ x: x0, plan, sampler, estimator, denoiser: model.denoiser, rng: o.rng });
              samples++;
              const asIs = await toRgb(x);
              const seen = await toRgb(view.apply(x, shape));
              const r1 = judge.read('whole', await feature(asIs, size), asIs);
              const r2 = judge.read('whole', await feature(seen, size), seen);
              const key = `${list}|anagram ${view.name}|${JOINT}`;
              count(`${key}|as is`, r1, wantA);
              count(`${key}|through the view`, r2, wantB);
              const both = r1.some((e) => wantA.has(e)) && r2.some((e) => wantB.has(e));
              count(`${key}|both`, both ? ['y'] : ['n'], new Set(['y']));
              row.push(asIs, seen);
              notes.push(`${JOINT}: ${r1.slice(0, 3).join('')} / ${r2.slice(0, 3).join('')}${both ? ' both' : ''}`);
            }
            sheetRows.push(row);
            line.push(`anagram ${view.name} seed ${seed}: ${notes.join('; ')}`);
          }
        }
        if (techniques.includes('hybrid')) {
          const row: Uint8Array[] = [];
          const notes: string[] = [];
          const f = hybridFilterFor(size);
          for (const v of variants) {
            const x = await hybrid({
              ...variant(v, seed),
              far: A.cond,
              near: B.cond,
              kernelSize: f.size,
              sigma: f.sigma,
              farPrior: priorOf(v, A.understood),
              nearPrior: priorOf(v, B.understood),
            });
            samples += v === 'prior alone' ? 0 : 1;
            const rgb = await toRgb(x);
            const f16 = await feature(rgb, size);
            const far = judge.read('far', f16, rgb);
            const near = judge.read('near', f16, rgb);
            const key = `${list}|hybrid|${v}`;
            count(`${key}|far`, far, wantA);
            count(`${key}|near`, near, wantB);
            const low = gaussianBlur(x, shape, f.size, f.sigma);
            const high = x.map((e, i) => e - low[i]);
            row.push(rgb, await toRgb(low), await toRgb(high));
            notes.push(`${v}: far ${far.slice(0, 3).join('')}, near ${near.slice(0, 3).join('')}`);
          }
          sheetRows.push(row);
          line.push(`hybrid seed ${seed}: ${notes.join('; ')}`);
        }
        if (techniques.includes('inpaint')) {
          const ofB = data.pixels.flatMap((_, i) => (data.train[i] && wantB.has(data.emoji[i]) ? [i] : []));
          const styles = STYLES.filter((st) => ofB.some((i) => data.style[i] === st));
          const pick = ofB.find((i) => data.style[i] === styles[s % styles.length]);
          if (pick === undefined) {
            line.push(`inpaint: no artwork of ${b}`);
          } else {
            const original = data.pixels[pick];
            const image = new Float32Array(3 * size * size);
            for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) image[c * size * size + p] = original[p * 3 + c] / 127.5 - 1;
            const mask = new Float32Array(size * size);
            for (let y = 0; y < size; y++) for (let xx = size / 2; xx < size; xx++) mask[y * size + xx] = 1;
            const blocks = regionBlocks(mask, size);
            const region = priorRegion(mask, shape, prior.size);
            const read = async (rgb: Uint8Array) => judge.read('region', await feature(rgb, size), rgb, blocks);
            const key = `${list}|inpaint|`;
            const r0 = await read(original);
            count(`${key}original|region`, r0, wantA);
            const row: Uint8Array[] = [original];
            const notes: string[] = [`original: ${r0.slice(0, 3).join('')}`];
            for (const v of variants) {
              const x = await inpaint({ ...variant(v, seed, region), cond: A.cond, image, mask, prior: priorOf(v, A.understood, mask) });
              samples += v === 'prior alone' ? 0 : 1;
              const rgb = await toRgb(x);
              const r = await read(rgb);
              count(`${key}${v}|region`, r, wantA);
              row.push(rgb);
              notes.push(`${v}: ${r.slice(0, 3).join('')}`);
            }
            sheetRows.push(row);
            line.push(`inpaint into ${data.style[pick]} ${b} seed ${seed}: ${notes.join('; ')}`);
          }
        }
      }
      console.log(`  [${list}] ${JSON.stringify(a)} / ${JSON.stringify(b)} (${[...wantA].join('')} / ${[...wantB].join('')})`);
      for (const l of line) console.log(`    ${l}`);
    }
  }
  const secs = (performance.now() - started) / 1000;
  console.log(`\ntime ${secs.toFixed(0)} s (${samples} UNet samples)\n`);
  printTable(lists, techniques, views.map((v) => v.name));
  if (values.sheet) await writeSheet(sheetRows, size, size, values.sheet);
  await model.dispose();
}

const pct = (c: Count | undefined, k: 'top1' | 'top5') => (c && c.n ? `${Math.round((100 * c[k]) / c.n)}% (${c[k]}/${c.n})` : '');

/** One row per list, technique and variant: each view's top-1 and top-5, and for anagrams both views at top-5. */
function printTable(lists: string[], techniques: string[], views: string[]): void {
  console.log('| list | technique | sampler | view 1 | top-1 | top-5 | view 2 | top-1 | top-5 | both views, top-5 |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const rows: [string, Variant[], Reading | string, string | undefined][] = [];
  if (techniques.includes('anagram'))
    for (const v of views) rows.push([`anagram ${v}`, [...VARIANTS, JOINT], 'as is', 'through the view']);
  if (techniques.includes('hybrid')) rows.push(['hybrid', [...VARIANTS], 'far', 'near']);
  if (techniques.includes('inpaint')) rows.push(['inpaint', [...VARIANTS, 'original'], 'region', undefined]);
  for (const list of lists)
    for (const [tech, variants, r1, r2] of rows)
      for (const v of variants) {
        const k = `${list}|${tech}|${v}`;
        const c1 = tallies.get(`${k}|${r1}`);
        if (!c1) continue;
        const c2 = r2 ? tallies.get(`${k}|${r2}`) : undefined;
        const both = tallies.get(`${k}|both`);
        console.log(
          `| ${list} | ${tech} | ${v} | ${r1} | ${pct(c1, 'top1')} | ${pct(c1, 'top5')} | ${r2 ?? ''} | ${pct(c2, 'top1')} | ${pct(c2, 'top5')} | ${pct(both, 'top1')} |`,
        );
      }
}
