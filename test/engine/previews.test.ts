// Live previews show the predicted clean image x0 by default (a picture from the first steps),
// while the GIF keeps the study's noisy trajectory x_t. Measured on the bundled model: the
// correlation of each early preview (within the first 20% of the steps) with the final image,
// against the same run with PREVIEW_SOURCE=xt as the control.
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type LocalEngine } from '../../src/engine/index.ts';
import type { JobEvent } from '../../src/jobs/api.ts';
import { testConfig } from './helpers.ts';

const STEPS = 20;
let engine: LocalEngine | undefined;
afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

/** Grey levels of a PNG at 32 x 32. */
async function grey(png: Buffer | string): Promise<Float64Array> {
  const raw = await sharp(png).resize(32, 32, { kernel: 'cubic' }).greyscale().raw().toBuffer();
  return Float64Array.from(raw);
}

/** Pearson correlation of two equal-length vectors. */
function corr(a: Float64Array, b: Float64Array): number {
  const mean = (v: Float64Array) => v.reduce((s, x) => s + x, 0) / v.length;
  const ma = mean(a);
  const mb = mean(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Runs one job on the bundled model; each early preview's correlation with the final image, and the GIF's first frame's. */
async function run(env: Record<string, string>): Promise<{ early: number[]; gifFirst: number }> {
  engine = createEngine(testConfig({ MODEL: 'emoji', ...env }), { defaultMetrics: false });
  await engine.start();
  const previews: { step: number; png: Buffer }[] = [];
  const r = await engine.submit({ technique: 'imagine', prompt: 'a red heart', seed: 11, steps: STEPS }, { platform: 'playground', userId: 'u' });
  if (!r.ok) throw new Error(r.message);
  const done = new Promise<JobEvent>((resolve) =>
    engine!.subscribe(r.jobId, (e) => {
      if (e.type === 'progress' && e.preview) previews.push({ step: e.step, png: e.preview });
      if (e.type === 'done' || e.type === 'failed') resolve(e);
    }),
  );
  expect((await done).type).toBe('done');
  const job = await engine.get(r.jobId);
  const final = await grey(job!.result!.files.png);
  const early = await Promise.all(previews.filter((p) => p.step <= STEPS * 0.2).map(async (p) => corr(await grey(p.png), final)));
  const gifFirst = corr(await grey(await sharp(job!.result!.files.gif!, { page: 0 }).png().toBuffer()), final);
  return { early, gifFirst };
}

describe('live previews', () => {
  it('show the predicted clean image by default: every preview in the first 20% of the steps already looks like the result; x_t previews and the GIF do not', async () => {
    const x0 = await run({});
    const xt = await run({ PREVIEW_SOURCE: 'xt' });
    console.log(`preview vs final image, first ${STEPS * 0.2} of ${STEPS} steps: x0 ${x0.early.map((c) => c.toFixed(2)).join(', ')}; x_t ${xt.early.map((c) => c.toFixed(2)).join(', ')}; GIF frame 1 ${x0.gifFirst.toFixed(2)}`);
    expect(x0.early.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...x0.early)).toBeGreaterThan(0.8);
    expect(Math.max(...xt.early)).toBeLessThan(Math.min(...x0.early));
    // The GIF keeps the noisy trajectory: its first frame is x_t, not the clean estimate.
    expect(x0.gifFirst).toBeLessThan(Math.min(...x0.early));
  }, 120_000);
});
