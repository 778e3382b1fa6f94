// Cheap previews and GIF frames of latent models: the linear latent-to-RGB projection per family,
// a tiny autoencoder decoder named in the manifest (fixture: scripts/make-onnx-fixtures.py), and a
// job whose frames and previews come from it while the VAE decodes the final image alone, and
// /info naming the decoder of the GIF.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execute as info } from '../../commands/info.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { waitForJob, type JobOwner } from '../../src/jobs/api.ts';
import { parseJobSpec, type JobSpec } from '../../src/jobs/spec.ts';
import { executeJob, type ExecuteContext } from '../../src/pipeline/execute.ts';
import { loadModel, type LoadedModel } from '../../src/runtime/index.ts';
import { createLinearPreviewDecoder, latentRgbFactors } from '../../src/runtime/latent/preview-decoder.ts';
import { testConfig } from '../engine/helpers.ts';
import { MODELS_DIR } from './helpers.ts';

const FIXTURE = resolve(import.meta.dirname, 'fixtures', 'preview-decoder');
const LATENT = { channels: 4, height: 8, width: 8 };
const IMAGE = { channels: 3, height: 64, width: 64 };

function spec(input: Record<string, unknown>): JobSpec {
  const r = parseJobSpec({ seed: 5, ...input });
  if (!r.ok) throw new Error(r.message);
  return r.spec;
}

/** A latent whose channel `k` is `v` everywhere and the others 0. */
function oneChannel(k: number, v: number, c = 4, n = 64): Float32Array {
  const z = new Float32Array(c * n);
  z.fill(v, k * n, (k + 1) * n);
  return z;
}

describe('linear latent-to-RGB projection', () => {
  it('picks the family from the latent channels and the VAE scaling', () => {
    expect(latentRgbFactors(4, 0.18215, 0).family).toBe('SD 1.x/2.x');
    expect(latentRgbFactors(4, 0.13025, 0).family).toBe('SDXL');
    expect(latentRgbFactors(16, 1.5305, 0.0609).family).toMatch(/^SD3/);
    expect(latentRgbFactors(16, 0.3611, 0.1159).family).toMatch(/^Flux/);
    expect(latentRgbFactors(8, 1, 0).family).toMatch(/grey channel mean/);
  });

  it('maps each latent channel to its RGB coefficients plus the bias, at the image size', async () => {
    const f = latentRgbFactors(4, 0.13025, 0);
    const d = createLinearPreviewDecoder(LATENT, IMAGE, f);
    expect(d.name).toBe('linear latent-to-RGB projection (SDXL coefficients)');
    for (let k = 0; k < 4; k++) {
      const img = await d.decode(oneChannel(k, 2));
      expect(img.length).toBe(3 * 64 * 64);
      for (let ch = 0; ch < 3; ch++)
        for (const i of [0, 1000, 4095])
          expect(img[ch * 4096 + i]).toBeCloseTo(2 * f.factors[k][ch] + f.bias[ch], 5);
    }
  });

  it('interpolates between latent pixels (a left-right ramp stays a ramp)', async () => {
    const d = createLinearPreviewDecoder(LATENT, IMAGE, latentRgbFactors(4, 0.18215, 0));
    const z = new Float32Array(4 * 64);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) z[y * 8 + x] = x / 7;
    const img = await d.decode(z);
    const row = Array.from(img.subarray(32 * 64, 33 * 64));
    for (let x = 1; x < 64; x++) expect(row[x]).toBeGreaterThanOrEqual(row[x - 1] - 1e-6);
    expect(row[63] - row[0]).toBeCloseTo(0.3512, 4);
  });

  it('refuses a latent of the wrong size', async () => {
    const d = createLinearPreviewDecoder(LATENT, IMAGE, latentRgbFactors(4, 0.18215, 0));
    await expect(d.decode(new Float32Array(10))).rejects.toThrow(/latent has 10 values, expected 256/);
  });
});

describe('a latent job: frames and previews from the cheap decoder, the final image from the VAE', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModel('tiny-sd', { modelsDir: MODELS_DIR });
  });
  afterAll(() => model.dispose());

  it('the loaded model names its preview decoder', () => {
    expect(model.previewDecoder).toBe('linear latent-to-RGB projection (SD 1.x/2.x coefficients)');
  });

  it('decodes the VAE once per job however many frames and previews it makes', async () => {
    let vae = 0;
    let cheap = 0;
    const counted: LoadedModel = {
      ...model,
      fromSample: (z) => {
        vae++;
        return model.fromSample(z);
      },
      previewSample: (z) => {
        cheap++;
        return model.previewSample!(z);
      },
    };
    const ctx: ExecuteContext = {
      model: counted,
      loadImage: () => Promise.reject(new Error('no image')),
      loadMask: () => Promise.reject(new Error('no mask')),
    };
    let previews = 0;
    const r = await executeJob(spec({ technique: 'imagine', prompt: 'a cat', steps: 6, guidance: 1 }), ctx, {
      frameEvery: 1,
      frameSource: 'xt',
      previewSource: 'x0',
      onPreview: () => {
        previews++;
      },
    });
    // One frame and one preview per step of the sampler's plan (PNDM adds its warm-up step).
    const n = r.frames.length;
    expect(n).toBeGreaterThanOrEqual(6);
    expect(previews).toBe(n);
    expect(vae).toBe(1);
    expect(r.timings.frameDecoder).toBe(model.previewDecoder);
    expect(cheap).toBe(2 * n); // frames show x_t, previews x0: two cheap decodes a step
    // The last frame is the projection of the final sample, not the VAE's picture.
    const last = r.frames[n - 1];
    expect([last.width, last.height]).toEqual([64, 64]);
    expect(Buffer.from(last.rgb).equals(Buffer.from(r.image.rgb))).toBe(false);
  });
});

describe('a tiny autoencoder preview decoder named in the manifest', () => {
  const root = mkdtempSync(join(tmpdir(), 'diffuse-preview-'));
  const dir = join(root, 'tiny-sd-taesd');
  let model: LoadedModel;
  beforeAll(async () => {
    cpSync(join(MODELS_DIR, 'tiny-sd'), dir, { recursive: true });
    cpSync(join(FIXTURE, 'model.onnx'), join(dir, 'preview_decoder', 'model.onnx'), { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
    manifest.preview_decoder = { file: 'preview_decoder/model.onnx' };
    writeFileSync(join(dir, 'model.json'), JSON.stringify(manifest));
    model = await loadModel(dir);
  });
  afterAll(async () => {
    await model.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  it('is loaded and named', () => {
    expect(model.previewDecoder).toBe('tiny autoencoder preview_decoder/model.onnx');
  });

  it('decodes a latent as the network computes it (8x nearest upsampling, 1x1 conv, tanh)', async () => {
    const { W } = JSON.parse(readFileSync(join(FIXTURE, 'weights.json'), 'utf8')) as { W: number[][] };
    const z = new Float32Array(4 * 64);
    for (let i = 0; i < z.length; i++) z[i] = Math.sin(i * 0.37);
    const img = await model.previewSample!(z);
    expect(img.length).toBe(3 * 64 * 64);
    for (const [y, x] of [
      [0, 0],
      [13, 40],
      [63, 63],
    ]) {
      const p = Math.floor(y / 8) * 8 + Math.floor(x / 8);
      for (let k = 0; k < 3; k++) {
        const want = Math.tanh(W[k].reduce((a, w, c) => a + w * z[c * 64 + p], 0));
        expect(img[k * 4096 + y * 64 + x]).toBeCloseTo(want, 5);
      }
    }
  });
});

describe('/info of a latent job says what drew its GIF', () => {
  let engine: LocalEngine;
  beforeAll(async () => {
    engine = createEngine(testConfig({ MODEL: 'tiny-sd', USER_MAX_PENDING: '8' }), { defaultMetrics: false });
    await engine.start();
  });
  afterAll(async () => {
    await engine.close();
  });

  it('names the cheap decoder of the frames and previews, and the VAE for the image', async () => {
    const owner: JobOwner = { platform: 'test', userId: 'u1', channelRef: 'c1' };
    const r = await engine.submit({ technique: 'imagine', prompt: 'a cat', steps: 3, seed: 2 }, owner);
    if (!r.ok) throw new Error(r.message);
    const end = await waitForJob(engine, r.jobId);
    expect(end.type).toBe('done');
    const reply = await info({
      engine,
      owner,
      actor: { userId: 'u1', isAdmin: false, platform: 'test' },
      options: { job: r.jobId },
    });
    expect(reply.kind).toBe('text');
    expect((reply as { text: string }).text).toContain(
      "GIF frames and previews: drawn by a linear latent-to-RGB projection (SD 1.x/2.x coefficients); the image by the model's VAE",
    );
  });
});
