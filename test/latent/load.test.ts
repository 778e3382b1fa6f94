// The latent family on the tiny random-weight SD-layout models: sessions, dtypes as the model
// declares them, CLIP conditioning, the VAE, the provider choice, and the techniques in-process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeJob, type ExecuteContext } from '../../src/pipeline/execute.ts';
import { parseJobSpec, type JobSpec } from '../../src/jobs/spec.ts';
import { loadModel, ModelError, type LoadedModel } from '../../src/runtime/index.ts';
import { counting, MODELS_DIR, testImage } from './helpers.ts';

function spec(input: Record<string, unknown>): JobSpec {
  const r = parseJobSpec({ seed: 9, ...input });
  if (!r.ok) throw new Error(r.message);
  return r.spec;
}

const models: Record<string, LoadedModel> = {};
beforeAll(async () => {
  for (const name of ['tiny-sd', 'tiny-sd-fp16'])
    models[name] = await loadModel(name, { modelsDir: MODELS_DIR });
});
afterAll(async () => {
  await Promise.all(Object.values(models).map((m) => m.dispose()));
});

describe.each(['tiny-sd', 'tiny-sd-fp16'])('latent model %s', (name) => {
  it('has a 4x8x8 latent sample, a 3x64x64 image and runs on the CPU', () => {
    const m = models[name];
    expect(m.manifest.family).toBe('latent');
    expect(m.sampleShape).toEqual({ channels: 4, height: 8, width: 8 });
    expect(m.imageShape).toEqual({ channels: 3, height: 64, width: 64 });
    expect(m.learnedVariance).toBe(false);
    expect(m.device).toBe('cpu');
  });

  it('encodes prompts to CLIP hidden states [77, 32], different per prompt, cached per text', async () => {
    const m = models[name];
    const a = await m.encodePrompt('a photo of a cat');
    const b = await m.encodePrompt('a rocket ship');
    const e = await m.encodePrompt('');
    expect(a.cond.dims).toEqual([77, 32]);
    expect(a.cond.data).toHaveLength(77 * 32);
    expect(a.cond.data.every(Number.isFinite)).toBe(true);
    expect(Array.from(a.cond.data)).not.toEqual(Array.from(b.cond.data));
    expect(Array.from(e.cond.data)).not.toEqual(Array.from(a.cond.data));
    expect(e.understood).toEqual([]);
    expect(await m.encodePrompt('a photo of a cat')).toBe(a);
    expect(a.unknown).toEqual([]);
    const long = await m.encodePrompt(`${'a '.repeat(75)}dog dog`);
    expect(long.unknown).toEqual(['(past 77 tokens, ignored) dog dog']);
  });

  it('VAE: an image encodes to a 4x8x8 latent and a latent decodes to a 3x64x64 image', async () => {
    const m = models[name];
    const z = await m.toSample(testImage(3, 64, 64));
    expect(z).toHaveLength(4 * 8 * 8);
    expect(z.every(Number.isFinite)).toBe(true);
    const img = await m.fromSample(z);
    expect(img).toHaveLength(3 * 64 * 64);
    expect(img.every((v) => Number.isFinite(v) && Math.abs(v) <= 1)).toBe(true);
  });

  it('inpainting restores the known pixels exactly after decoding', async () => {
    const m = models[name];
    const image = testImage(3, 64, 64);
    const mask = new Float32Array(64 * 64).map((_, i) => (i % 64 < 24 ? 1 : 0));
    const ctx: ExecuteContext = { model: m, loadImage: async () => ({ image }), loadMask: async () => mask };
    const r = await executeJob(
      spec({ technique: 'inpaint', prompt: 'a cat', image: 'a'.repeat(64), mask: 'b'.repeat(64), steps: 4 }),
      ctx,
    );
    let known = 0;
    let changed = 0;
    for (let c = 0; c < 3; c++)
      for (let i = 0; i < 64 * 64; i++) {
        const k = c * 4096 + i;
        if (mask[i] === 0) {
          expect(r.finalImage[k]).toBe(image[k]);
          known++;
        } else if (Math.abs(r.finalImage[k] - image[k]) > 1e-3) changed++;
      }
    expect(known).toBe(3 * 64 * 40);
    expect(changed).toBeGreaterThan(1000);
  });
});

describe('latent techniques in-process (tiny-sd)', () => {
  it('CFG sends conditional and unconditional latents in one batch per step; guidance 1 sends only the conditional', async () => {
    const { model, batches } = counting(models['tiny-sd']);
    const ctx: ExecuteContext = {
      model,
      loadImage: async () => ({ image: testImage(3, 64, 64) }),
      loadMask: async () => new Float32Array(4096),
    };
    // tiny-sd ships PNDMScheduler (skip_prk_steps): 3 steps are 4 model calls (the first timestep twice).
    await executeJob(spec({ technique: 'imagine', prompt: 'a cat', steps: 3, guidance: 7.5 }), ctx);
    expect(batches).toEqual([2, 2, 2, 2]);
    batches.length = 0;
    await executeJob(spec({ technique: 'imagine', prompt: 'a cat', steps: 3, guidance: 1 }), ctx);
    expect(batches).toEqual([1, 1, 1, 1]);
    batches.length = 0;
    await executeJob(
      spec({
        technique: 'anagram',
        prompt: 'a cat',
        prompt2: 'a dog',
        steps: 2,
        guidance: 7.5,
        view: 'flip',
      }),
      ctx,
    );
    expect(batches).toEqual([4, 4, 4]);
  });

  it('is deterministic per seed; an anagram with the identity view and one prompt equals plain sampling', async () => {
    const ctx: ExecuteContext = {
      model: models['tiny-sd'],
      loadImage: async () => ({ image: testImage(3, 64, 64) }),
      loadMask: async () => new Float32Array(4096),
    };
    const a = await executeJob(spec({ technique: 'imagine', prompt: 'a cat', steps: 4 }), ctx);
    const b = await executeJob(spec({ technique: 'imagine', prompt: 'a cat', steps: 4 }), ctx);
    const c = await executeJob(spec({ technique: 'imagine', prompt: 'a cat', steps: 4, seed: 10 }), ctx);
    expect(a.finalImage).toEqual(b.finalImage);
    expect(a.finalImage).not.toEqual(c.finalImage);
    const ana = await executeJob(
      spec({ technique: 'anagram', prompt: 'a cat', prompt2: 'a cat', view: 'identity', steps: 4 }),
      ctx,
    );
    let d = 0;
    for (let i = 0; i < a.finalImage.length; i++)
      d = Math.max(d, Math.abs(a.finalImage[i] - ana.finalImage[i]));
    expect(d).toBeLessThan(1e-4);
  });

  it('float16 and float32 variants both give finite images in [-1, 1]', async () => {
    for (const name of ['tiny-sd', 'tiny-sd-fp16']) {
      const ctx: ExecuteContext = {
        model: models[name],
        loadImage: async () => ({ image: testImage(3, 64, 64) }),
        loadMask: async () => new Float32Array(4096),
      };
      const r = await executeJob(
        spec({ technique: 'sketch', prompt: 'a cat', image: 'a'.repeat(64), steps: 6, noiseLevel: 2 }),
        ctx,
      );
      expect(r.finalImage).toHaveLength(3 * 64 * 64);
      expect(r.finalImage.every((v) => Number.isFinite(v) && Math.abs(v) <= 1)).toBe(true);
      expect(r.image.width).toBe(64);
    }
  });
});

describe('latent sessions and the execution provider', () => {
  it('asks for CUDA: a clear error when it is unavailable and no fallback is configured', async () => {
    const err = await loadModel('tiny-sd', {
      modelsDir: MODELS_DIR,
      device: 'cuda',
      cudaAvailability: () => ({ available: false, reason: 'no GPU here' }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).code).toBe('provider-unavailable');
    expect((err as Error).message).toMatch(/CUDA was requested but is unavailable: no GPU here/);
  });

  it('falls back to the CPU for every session when configured, and says why', async () => {
    const m = await loadModel('tiny-sd', {
      modelsDir: MODELS_DIR,
      device: 'cuda',
      fallbackToCpu: true,
      cudaAvailability: () => ({ available: false, reason: 'no GPU here' }),
    });
    try {
      expect(m.device).toBe('cpu');
      expect(m.fallbackReason).toMatch(/no GPU here/);
      expect((await m.encodePrompt('a cat')).cond.dims).toEqual([77, 32]);
    } finally {
      await m.dispose();
    }
  });
});
