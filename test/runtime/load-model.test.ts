import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conditioning, DenoiserRequest } from '../../src/diffusion/types.ts';
import {
  listModels,
  loadModel,
  ModelError,
  resolveModelDir,
  type LoadedModel,
} from '../../src/runtime/index.ts';
import { FP16_FIXTURE, lcgArray, MODELS_DIR, maxAbsDiff, scratchModel } from './helpers.ts';

const SIZE = 3 * 64 * 64;

describe('loadModel on test-tiny', () => {
  let model: LoadedModel;
  let conds: Conditioning[];
  let batch: DenoiserRequest[];

  beforeAll(async () => {
    model = await loadModel('test-tiny', { modelsDir: MODELS_DIR, intraOpThreads: 1 });
    conds = [
      (await model.encodePrompt('a rocket')).cond,
      (await model.encodePrompt('an old man in a top hat')).cond,
      (await model.encodePrompt('')).cond,
    ];
    batch = conds.map((cond, i) => ({ x: lcgArray(SIZE, 10 + i), cond }));
  });
  afterAll(() => model.dispose());

  it('describes the model from its manifest', () => {
    expect(model.name).toBe('test-tiny');
    expect(model.dir).toBe(`${MODELS_DIR}/test-tiny`);
    expect(model.sampleShape).toEqual({ channels: 3, height: 64, width: 64 });
    expect(model.imageShape).toEqual(model.sampleShape);
    expect(model.learnedVariance).toBe(false);
    expect(model.device).toBe('cpu');
  });

  it('answers a batch of 3 with 3 eps of C*H*W values, deterministically', async () => {
    const a = await model.denoiser(500, batch);
    const b = await model.denoiser(500, batch);
    expect(a).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      expect(a[i].eps).toBeInstanceOf(Float32Array);
      expect(a[i].eps.length).toBe(SIZE);
      expect(a[i].varValues).toBeUndefined();
      expect(Array.from(a[i].eps).every(Number.isFinite)).toBe(true);
      expect(maxAbsDiff(a[i].eps, b[i].eps)).toBe(0);
    }
    expect(model.modelTimeMs()).toBeGreaterThan(0);
  });

  it('gives the same eps batched as one request at a time (1e-5)', async () => {
    const batched = await model.denoiser(700, batch);
    for (let i = 0; i < batch.length; i++) {
      const [single] = await model.denoiser(700, [batch[i]]);
      expect(maxAbsDiff(batched[i].eps, single.eps)).toBeLessThan(1e-5);
    }
  });

  it('splits batches larger than max_batch (8) into chunks', async () => {
    const big = Array.from({ length: 11 }, (_, i) => ({ x: lcgArray(SIZE, 100 + i), cond: conds[i % 3] }));
    const out = await model.denoiser(300, big);
    expect(out).toHaveLength(11);
    const [last] = await model.denoiser(300, [big[10]]);
    expect(maxAbsDiff(out[10].eps, last.eps)).toBeLessThan(1e-5);
  });

  it('depends on all three inputs: x, t and cond', async () => {
    const [ref] = await model.denoiser(500, [batch[0]]);
    const [otherT] = await model.denoiser(100, [batch[0]]);
    const [otherCond] = await model.denoiser(500, [{ x: batch[0].x, cond: conds[1] }]);
    const [otherX] = await model.denoiser(500, [{ x: batch[1].x, cond: conds[0] }]);
    expect(maxAbsDiff(ref.eps, otherT.eps)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(ref.eps, otherCond.eps)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(ref.eps, otherX.eps)).toBeGreaterThan(1e-3);
  });

  it('rejects malformed requests with a clear error', async () => {
    await expect(model.denoiser(500, [{ x: new Float32Array(10), cond: conds[0] }])).rejects.toThrow(
      /x has 10 values, expected 3x64x64 = 12288/,
    );
    await expect(
      model.denoiser(500, [{ x: batch[0].x, cond: { data: new Float32Array(8), dims: [8] } }]),
    ).rejects.toThrow(/cond dims \[8\].*expected \[16\]/);
  });

  it('checks the AbortSignal before each chunk', async () => {
    const ac = new AbortController();
    ac.abort(new Error('cancelled by user'));
    await expect(model.denoiser(500, batch, ac.signal)).rejects.toThrow('cancelled by user');
  });

  it('returns an empty answer for an empty batch, and identity toSample/fromSample copies', async () => {
    expect(await model.denoiser(500, [])).toEqual([]);
    const img = lcgArray(SIZE, 3);
    const s = await model.toSample(img);
    expect(s).not.toBe(img);
    expect(maxAbsDiff(s, img)).toBe(0);
    expect(maxAbsDiff(await model.fromSample(img), img)).toBe(0);
  });
});

describe('model variants', () => {
  it('learned_range: splits 6 output channels into eps and varValues, with int64 timesteps', async () => {
    const model = await loadModel('test-tiny-learned', { modelsDir: MODELS_DIR });
    try {
      expect(model.learnedVariance).toBe(true);
      const cond = (await model.encodePrompt('skull')).cond;
      const reqs = [0, 1].map((i) => ({ x: lcgArray(SIZE, 20 + i), cond }));
      const out = await model.denoiser(690, reqs);
      expect(out).toHaveLength(2);
      for (const o of out) {
        expect(o.eps.length).toBe(SIZE);
        expect(o.varValues?.length).toBe(SIZE);
        // the variance channel goes through tanh in the model: within [-1, 1]
        expect(Array.from(o.varValues!).every((v) => v >= -1 && v <= 1)).toBe(true);
      }
      expect(maxAbsDiff(out[0].eps, out[0].varValues!)).toBeGreaterThan(1e-3);
      // int64 timesteps are rounded integers: 690.4 and 690 are the same timestep
      const [again] = await model.denoiser(690.4, [reqs[0]]);
      expect(maxAbsDiff(again.eps, out[0].eps)).toBeLessThan(1e-5);
      const [other] = await model.denoiser(10, [reqs[0]]);
      expect(maxAbsDiff(other.eps, out[0].eps)).toBeGreaterThan(1e-3);
    } finally {
      await model.dispose();
    }
  });

  it('float16 interface with a batch fixed at 1 matches the float32 model within float16 precision', async () => {
    // The fixture is test-tiny's network (same seed) exported with float16 I/O, int64 timestep, batch axis fixed at 1.
    const f16 = await loadModel(FP16_FIXTURE);
    const f32 = await loadModel('test-tiny', { modelsDir: MODELS_DIR });
    try {
      const cond = (await f32.encodePrompt('fire mountain')).cond;
      const reqs = [0, 1, 2].map((i) => ({ x: lcgArray(SIZE, 30 + i), cond }));
      const a = await f16.denoiser(250, reqs);
      const b = await f32.denoiser(250, reqs);
      expect(a).toHaveLength(3);
      for (let i = 0; i < 3; i++) expect(maxAbsDiff(a[i].eps, b[i].eps)).toBeLessThan(1e-2);
      expect(maxAbsDiff(a[0].eps, a[1].eps)).toBeGreaterThan(1e-2);
    } finally {
      await f16.dispose();
      await f32.dispose();
    }
  });
});

describe('manifest vs model checks', () => {
  it('a wrong input name gives an error naming the model file and the input', async () => {
    const { dir, cleanup } = scratchModel('test-tiny', (m) => {
      (m.unet as { inputs: Record<string, string> }).inputs.cond = 'encoder_hidden_states';
    });
    try {
      const err = await loadModel(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelError);
      expect((err as ModelError).code).toBe('model-io');
      expect((err as Error).message).toContain(`${dir}/unet.onnx`);
      expect((err as Error).message).toContain('unet.inputs.cond names input "encoder_hidden_states"');
      expect((err as Error).message).toContain('"sample", "timestep", "cond"');
    } finally {
      cleanup();
    }
  });

  it('a wrong timestep dtype or sample size is reported against the input', async () => {
    const a = scratchModel('test-tiny', (m) => {
      (m.unet as Record<string, unknown>).timestep_dtype = 'int64';
    });
    const b = scratchModel('test-tiny', (m) => {
      m.sample = { channels: 3, height: 32, width: 32 };
    });
    try {
      await expect(loadModel(a.dir)).rejects.toThrow(
        /input "timestep" \(unet\.inputs\.timestep\) has type float32, expected int64/,
      );
      await expect(loadModel(b.dir)).rejects.toThrow(
        /input "sample" \(unet\.inputs\.sample\) has size 64 on axis 2/,
      );
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });

  it('a learned_range manifest on a 3-channel model is caught at load', async () => {
    const { dir, cleanup } = scratchModel('test-tiny', (m) => {
      (m.scheduler as Record<string, unknown>).variance_type = 'learned_range';
    });
    try {
      await expect(loadModel(dir)).rejects.toThrow(
        /output "eps" \(unet\.outputs\.eps\) has size 3 on axis 1.*expected 6/,
      );
    } finally {
      cleanup();
    }
  });

  it('a latent family without its VAE and image sections is refused clearly', async () => {
    const { dir, cleanup } = scratchModel('test-tiny', (m) => {
      m.family = 'latent';
    });
    try {
      await expect(loadModel(dir)).rejects.toThrow(/`vae`: missing \(a latent model needs its VAE decoder\)/);
    } finally {
      cleanup();
    }
  });
});

describe('model resolution', () => {
  it('resolves a name in the models folder and a path as is', () => {
    expect(resolveModelDir('test-tiny', MODELS_DIR)).toBe(`${MODELS_DIR}/test-tiny`);
    expect(resolveModelDir(FP16_FIXTURE, MODELS_DIR)).toBe(FP16_FIXTURE);
  });

  it('an unknown model lists the installed ones', () => {
    expect(() => resolveModelDir('nope', MODELS_DIR)).toThrow(
      /Unknown model "nope"\. Installed models in .*: .*test-tiny, test-tiny-learned/,
    );
    expect(() => resolveModelDir('./no/such/dir', MODELS_DIR)).toThrow(/has no model\.json/);
  });

  it('lists installed models with family, description, sample size and license', () => {
    const models = listModels(MODELS_DIR);
    const tiny = models.find((m) => m.name === 'test-tiny');
    expect(tiny).toMatchObject({ family: 'pixel', sample: { channels: 3, height: 64, width: 64 } });
    expect(tiny?.license).toMatch(/MIT/);
    expect(tiny?.description).toMatch(/tests only/);
    expect(models.map((m) => m.name)).toContain('test-tiny-learned');
  });
});
