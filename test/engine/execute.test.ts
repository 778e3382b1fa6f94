// executeJob in-process on the tiny model (no worker): recipes, frames, prompts, abort.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeJob, ExecuteError, type ExecuteContext } from '../../src/pipeline/execute.ts';
import { parseJobSpec, type JobSpec } from '../../src/jobs/spec.ts';
import { loadModel, type LoadedModel } from '../../src/runtime/index.ts';
import { MODELS_DIR } from './helpers.ts';

const REF = 'c'.repeat(64);
let model: LoadedModel;
let ctx: ExecuteContext;
let calls = 0;

function spec(input: Record<string, unknown>): JobSpec {
  const r = parseJobSpec({ seed: 5, ...input });
  if (!r.ok) throw new Error(r.message);
  return r.spec;
}

beforeAll(async () => {
  model = await loadModel('test-tiny', { modelsDir: MODELS_DIR });
  const n = model.imageShape.height * model.imageShape.width;
  const image = new Float32Array(3 * n).map((_, i) => Math.sin(i / 50) * 0.8);
  const alphaMask = new Float32Array(n).map((_, i) => (i % 64 < 32 ? 1 : 0));
  ctx = {
    model: {
      ...model,
      denoiser: (t, batch, signal) => {
        calls += batch.length;
        return model.denoiser(t, batch, signal);
      },
    },
    loadImage: async () => ({ image, alphaMask }),
    loadMask: async () => alphaMask,
  };
});
afterAll(async () => {
  await model.dispose();
});

describe('executeJob', () => {
  it('is deterministic per seed, keeps a frame every k steps and reports the prompts', async () => {
    const s = spec({ technique: 'imagine', prompt: 'rocket blorp', negative: 'cat', steps: 12 });
    const a = await executeJob(s, ctx, { frameEvery: 5 });
    const b = await executeJob(s, ctx, { frameEvery: 5 });
    const c = await executeJob({ ...s, seed: 6 }, ctx, { frameEvery: 5 });
    expect(a.finalImage).toEqual(b.finalImage);
    expect(a.finalImage).not.toEqual(c.finalImage);
    expect(a.frames.length).toBe(3); // steps 5, 10 and the last (12)
    expect(a.frames[2].rgb).toEqual(a.image.rgb); // the last x_t frame is the result
    expect(a.prompts.map((p) => [p.role, p.text])).toEqual([
      ['prompt', 'rocket blorp'],
      ['negative', 'cat'],
    ]);
    expect(a.unknown).toEqual(['blorp']);
    expect(a.timings.steps).toBe(12);
    expect(a.timings.perStepMs).toBeGreaterThan(0);
    expect(a.seed).toBe(5);
  });

  it('sends conditional and unconditional evaluations per step, and only conditional at guidance 1', async () => {
    calls = 0;
    await executeJob(spec({ technique: 'imagine', prompt: 'rocket', steps: 4 }), ctx);
    expect(calls).toBe(8);
    calls = 0;
    const r = await executeJob(spec({ technique: 'imagine', prompt: 'rocket', steps: 4, guidance: 1 }), ctx);
    expect(calls).toBe(4);
    expect(r.prompts.map((p) => p.role)).toEqual(['prompt']);
    calls = 0;
    await executeJob(spec({ technique: 'anagram', prompt: 'rocket', prompt2: 'cat', steps: 4 }), ctx);
    expect(calls).toBe(16);
  });

  it('x0 frames differ from x_t frames on the way, and agree with the result at the end', async () => {
    const s = spec({ technique: 'hybrid', prompt: 'rocket', prompt2: 'cat', steps: 6 });
    const xt = await executeJob(s, ctx, { frameSource: 'xt' });
    const x0 = await executeJob(s, ctx, { frameSource: 'x0' });
    expect(xt.finalImage).toEqual(x0.finalImage);
    expect(x0.frames[0].rgb).not.toEqual(xt.frames[0].rgb);
    expect(xt.frames.length).toBe(6);
  });

  it('runs the classical blur baseline without the model, as a strip original | noisy | blurred', async () => {
    calls = 0;
    const r = await executeJob(spec({ technique: 'denoise', image: REF, method: 'blur', t: [250] }), ctx);
    expect(calls).toBe(0);
    expect(r.timings.modelMs).toBe(0);
    expect([r.image.width, r.image.height]).toEqual([3 * 64 + 2 * 4, 64]);
    expect(r.frames.length).toBe(3);
  });

  it('inpaints with the image alpha, keeping the known pixels', async () => {
    const r = await executeJob(spec({ technique: 'inpaint', image: REF, prompt: 'cat', steps: 5 }), ctx);
    const img = (await ctx.loadImage(REF)).image;
    // Column < 32 is regenerated; columns >= 32 keep the original exactly.
    for (const i of [40, 64 * 10 + 50, 4096 + 63, 8192 + 64 * 63 + 32])
      expect(r.finalImage[i]).toBeCloseTo(img[i], 6);
    expect(Math.abs(r.finalImage[0] - img[0])).toBeGreaterThan(1e-3);
  });

  it('refuses an empty inpainting mask with a message, and stops when aborted', async () => {
    const empty: ExecuteContext = {
      ...ctx,
      loadImage: async (ref) => ({ image: (await ctx.loadImage(ref)).image }),
      loadMask: async () => new Float32Array(4096),
    };
    await expect(
      executeJob(spec({ technique: 'inpaint', image: REF, mask: REF, prompt: 'cat', steps: 3 }), empty),
    ).rejects.toThrow(ExecuteError);
    await expect(
      executeJob(spec({ technique: 'inpaint', image: REF, mask: REF, prompt: 'cat', steps: 3 }), empty),
    ).rejects.toThrow(/^The mask is empty/);
    const ac = new AbortController();
    let seen = 0;
    const run = executeJob(spec({ technique: 'imagine', prompt: 'cat', steps: 20 }), ctx, {
      signal: ac.signal,
      onProgress: (p) => {
        seen = p.step;
        if (p.step === 3) ac.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toBe(3);
  });
});
