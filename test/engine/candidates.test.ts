// Several candidates in one job (executeJob with count): one batched UNet call per step, each
// candidate equal to the 1-candidate job of seed + i, grids for the picture and the frames.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeJob, type ExecuteContext } from '../../src/pipeline/execute.ts';
import { parseJobSpec, type JobSpec } from '../../src/jobs/spec.ts';
import { gridCell } from '../../src/imaging/index.ts';
import { loadModel, type LoadedModel } from '../../src/runtime/index.ts';
import { MODELS_DIR } from './helpers.ts';

let model: LoadedModel;
let ctx: ExecuteContext;
const batches: number[] = [];

function spec(input: Record<string, unknown>): JobSpec {
  const r = parseJobSpec({ seed: 41, ...input });
  if (!r.ok) throw new Error(r.message);
  return r.spec;
}

/** Largest absolute difference of two float arrays. */
function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

beforeAll(async () => {
  model = await loadModel('test-tiny', { modelsDir: MODELS_DIR });
  const n = model.imageShape.height * model.imageShape.width;
  const image = new Float32Array(3 * n).map((_, i) => Math.cos(i / 37) * 0.7);
  ctx = {
    model: {
      ...model,
      denoiser: (t, batch, signal) => {
        batches.push(batch.length);
        return model.denoiser(t, batch, signal);
      },
    },
    loadImage: async () => ({ image }),
    loadMask: async () => new Float32Array(n),
  };
});
afterAll(async () => {
  await model.dispose();
});

describe('candidates', () => {
  it('draws 4 candidates with one batch-8 UNet call per step, each matching the 1-candidate job of seed + i', async () => {
    const s = spec({ technique: 'imagine', prompt: 'rocket', steps: 5, count: 4, sampler: 'dpmpp-2m' });
    batches.length = 0;
    const four = await executeJob(s, ctx, { frameEvery: 2 });
    expect(batches).toEqual([8, 8, 8, 8, 8]);
    expect(four.timings).toMatchObject({ unetCalls: 5, unetEvaluations: 40 });
    expect(four.candidates).toHaveLength(4);
    expect(four.spec).toMatchObject({ seed: 41, count: 4 });
    expect([four.image.width, four.image.height]).toEqual([128, 128]);
    expect(four.frames).toHaveLength(3);
    expect([four.frames[0].width, four.frames[0].height]).toEqual([128, 128]);
    for (let i = 0; i < 4; i++) {
      const one = await executeJob({ ...s, count: 1, seed: 41 + i }, ctx);
      expect(maxDiff(four.candidates![i], one.finalImage)).toBeLessThan(1e-4);
      const cell = gridCell(four.image, 4, i);
      const diff = cell.rgb.reduce((m, v, k) => Math.max(m, Math.abs(v - one.image.rgb[k])), 0);
      expect(diff).toBeLessThanOrEqual(1);
    }
  });

  it('runs sketch and anagram candidates batched too; 2 candidates make a 1x2 grid', async () => {
    batches.length = 0;
    const r = await executeJob(
      spec({ technique: 'sketch', prompt: 'rocket', steps: 4, noiseLevel: 1, count: 2, image: 'c'.repeat(64) }),
      ctx,
    );
    expect(batches).toEqual([4, 4, 4]);
    expect([r.image.width, r.image.height]).toEqual([128, 64]);
    batches.length = 0;
    await executeJob(spec({ technique: 'anagram', prompt: 'rocket', prompt2: 'cat', steps: 2, count: 3 }), ctx);
    // 3 candidates x 2 views x CFG = 12 rows per step; the runtime runs them in chunks of max_batch (8).
    expect(batches).toEqual([12, 12]);
  });
});
