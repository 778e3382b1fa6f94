// SDXL-layout models (models/tiny-sdxl, built by scripts/make-tiny-sdxl.py): the manifest written from
// the folder (second encoder, empty-prompt zeros, force_upcast, per-model defaults), the conditioning
// checked against the ONNX sessions run directly (penultimate states of both encoders concatenated per
// token, the second's pooled projection after them), the UNet fed text_embeds and the time ids, and the
// refusals: an SDXL UNet with one text encoder, a refiner, a float16 decoder of an fp16-overflowing VAE.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClipTokenizer } from '../../src/runtime/clip/tokenizer.ts';
import { loadModel, type LoadedModel } from '../../src/runtime/index.ts';
import { sdxlTimeIds } from '../../src/runtime/latent/added-cond.ts';
import { defaultsFor, manifestFromDiffusersFolder } from '../../src/runtime/latent/diffusers.ts';
import { parseManifest } from '../../src/runtime/manifest.ts';
import { createSession, type ModelSession } from '../../src/runtime/session.ts';
import { MODELS_DIR } from './helpers.ts';

const DIR = join(MODELS_DIR, 'tiny-sdxl');
const L = 77;
const scratch: string[] = [];
afterAll(() => {
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

function copySdxl(): string {
  const root = mkdtempSync(join(tmpdir(), 'diffuse-sdxl-'));
  scratch.push(root);
  const dir = join(root, 'm');
  cpSync(DIR, dir, { recursive: true });
  return dir;
}

function editJson(file: string, edit: (j: Record<string, unknown>) => void): void {
  const j = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(j);
  writeFileSync(file, JSON.stringify(j, null, 2));
}

const ids = (v: readonly number[]): Tensor => new Tensor('int64', BigInt64Array.from(v.map(BigInt)), [1, v.length]);

describe('manifest of an SDXL-layout folder', () => {
  it("reproduces the committed tiny-sdxl model.json from the folder's config files", () => {
    const committed = JSON.parse(readFileSync(join(DIR, 'model.json'), 'utf8')) as Record<string, unknown>;
    const generated = manifestFromDiffusersFolder(DIR, {
      name: 'tiny-sdxl',
      description: committed.description as string,
      license: committed.license as string,
      defaults: { steps: 20, guidance: 5 },
    });
    expect(generated).toEqual(committed);
    const m = parseManifest(generated);
    expect(m.prompt).toMatchObject({
      encoder: 'clip',
      output: 'hidden_states.1', // penultimate of 2 layers: hidden_states[-2]
      hidden_size: 32,
      zeros_for_empty: true,
      text_encoder_2: {
        tokenizer: 'tokenizer_2',
        text_encoder: 'text_encoder_2/model.onnx',
        output: 'hidden_states.1',
        hidden_size: 32,
        pooled_output: 'text_embeds',
        pooled_size: 32,
      },
    });
    expect(m.vae).toMatchObject({ scaling_factor: 0.13025, force_upcast: true });
  });

  it('SDXL base: 1024x1024 from the UNet sample size, 40 steps at 5; SDXL-Turbo: 512x512, 1 step, no guidance', () => {
    const base = copySdxl();
    editJson(join(base, 'unet', 'config.json'), (j) => (j.sample_size = 128));
    const b = manifestFromDiffusersFolder(base, { name: 'sdxl-base', source: 'stabilityai/stable-diffusion-xl-base-1.0@main' });
    expect(b.image).toEqual({ channels: 3, height: 1024, width: 1024 });
    expect(b.defaults).toEqual({ steps: 40, guidance: 5, sampler: 'euler' });
    expect(b.description).toContain('Stable-Diffusion-XL-style');
    const turbo = copySdxl();
    editJson(join(turbo, 'unet', 'config.json'), (j) => (j.sample_size = 64));
    const t = manifestFromDiffusersFolder(turbo, { name: 'sdxl-turbo', source: 'stabilityai/sdxl-turbo@main' });
    expect(t.image).toEqual({ channels: 3, height: 512, width: 512 });
    expect(t.defaults).toMatchObject({ steps: 1, guidance: 1 });
    expect(defaultsFor('sdxl-lightning', 'EulerDiscreteScheduler', true)).toEqual({ steps: 4, guidance: 1 });
    expect(defaultsFor('stable-diffusion-v1-5', 'PNDMScheduler', false)).toEqual({ steps: 50, guidance: 7.5 });
  });

  it('without force_zeros_for_empty_prompt the manifest says so; a refiner (no text_encoder) is refused', () => {
    const dir = copySdxl();
    editJson(join(dir, 'model_index.json'), (j) => delete j.force_zeros_for_empty_prompt);
    expect(manifestFromDiffusersFolder(dir, { name: 'x' }).prompt).toMatchObject({ zeros_for_empty: false });
    const refiner = copySdxl();
    editJson(join(refiner, 'model_index.json'), (j) => {
      delete j.text_encoder;
      delete j.tokenizer;
      j.requires_aesthetics_score = true;
    });
    expect(() => manifestFromDiffusersFolder(refiner, { name: 'x' })).toThrow(/an SDXL refiner .* is not supported/);
  });
});

describe('tiny-sdxl loaded', () => {
  let model: LoadedModel;
  let te1: ModelSession;
  let te2: ModelSession;
  let unet: ModelSession;
  beforeAll(async () => {
    model = await loadModel('tiny-sdxl', { modelsDir: MODELS_DIR });
    te1 = await createSession(join(DIR, 'text_encoder', 'model.onnx'), { device: 'cpu' });
    te2 = await createSession(join(DIR, 'text_encoder_2', 'model.onnx'), { device: 'cpu' });
    unet = await createSession(join(DIR, 'unet', 'model.onnx'), { device: 'cpu' });
  });
  afterAll(async () => {
    await Promise.all([model?.dispose(), te1?.dispose(), te2?.dispose(), unet?.dispose()]);
  });

  it('conditioning = both penultimate states concatenated per token, then text_encoder_2 text_embeds; each tokenizer pads its own way', async () => {
    const text = 'a photo of a cat';
    const tok1 = loadClipTokenizer(join(DIR, 'tokenizer'));
    const tok2 = loadClipTokenizer(join(DIR, 'tokenizer_2'));
    const ids1 = tok1.encodePadded(text);
    const ids2 = tok2.encodePadded(text);
    expect(ids1.at(-1)).toBe(tok1.endId);
    expect(tok2.padId).toBe(0);
    expect(ids2.at(-1)).toBe(0);
    expect(ids2.slice(0, tok2.encode(text).length)).toEqual(ids1.slice(0, tok1.encode(text).length));
    const a = await te1.run({ input_ids: ids(ids1) }, ['hidden_states.1', 'last_hidden_state']);
    const b = await te2.run({ input_ids: ids(ids2) }, ['hidden_states.1', 'text_embeds']);
    const h1 = a['hidden_states.1'].data as Float32Array;
    const h2 = b['hidden_states.1'].data as Float32Array;
    const pooled = b.text_embeds.data as Float32Array;

    const e = await model.encodePrompt(text);
    expect(e.cond.dims).toEqual([L * 64 + 32]);
    const want = new Float32Array(L * 64 + 32);
    for (let t = 0; t < L; t++) {
      want.set(h1.subarray(t * 32, (t + 1) * 32), t * 64);
      want.set(h2.subarray(t * 32, (t + 1) * 32), t * 64 + 32);
    }
    want.set(pooled, L * 64);
    expect(Array.from(e.cond.data)).toEqual(Array.from(want));
    // the penultimate states, not the final (layer-normed) ones
    expect(Array.from(e.cond.data.subarray(0, 32))).not.toEqual(Array.from((a.last_hidden_state.data as Float32Array).subarray(0, 32)));
  });

  it('an empty prompt is all zeros (force_zeros_for_empty_prompt)', async () => {
    const e = await model.encodePrompt('');
    expect(e.cond.data.every((v) => v === 0)).toBe(true);
    expect((await model.encodePrompt('a dog')).cond.data.some((v) => v !== 0)).toBe(true);
  });

  it('the denoiser feeds the pooled projection as text_embeds and time ids [64, 64, 0, 0, 64, 64]', async () => {
    expect(Array.from(sdxlTimeIds(1024, 768))).toEqual([1024, 768, 0, 0, 1024, 768]);
    const cond = (await model.encodePrompt('a red apple')).cond;
    const x = new Float32Array(4 * 8 * 8).map((_, i) => Math.sin(i));
    const [out] = await model.denoiser(500, [{ x, cond }]);
    const direct = await unet.run(
      {
        sample: new Tensor('float32', x, [1, 4, 8, 8]),
        timestep: new Tensor('int64', BigInt64Array.from([500n]), [1]),
        encoder_hidden_states: new Tensor('float32', cond.data.slice(0, L * 64), [1, L, 64]),
        text_embeds: new Tensor('float32', cond.data.slice(L * 64), [1, 32]),
        time_ids: new Tensor('float32', Float32Array.from([64, 64, 0, 0, 64, 64]), [1, 6]),
      },
      ['out_sample'],
    );
    expect(Array.from(out.eps)).toEqual(Array.from(direct.out_sample.data as Float32Array));
    // the pooled part reaches the UNet: another pooled projection, another prediction
    const other = cond.data.slice();
    other.fill(0.5, L * 64);
    const [changed] = await model.denoiser(500, [{ x, cond: { data: other, dims: cond.dims } }]);
    expect(Array.from(changed.eps)).not.toEqual(Array.from(out.eps));
  });

  it('decodes with the VAE scaling factor 0.13025', async () => {
    expect(model.manifest.vae?.scaling_factor).toBe(0.13025);
    const img = await model.fromSample(new Float32Array(4 * 8 * 8).fill(0.1));
    expect(img).toHaveLength(3 * 64 * 64);
    expect(img.every(Number.isFinite)).toBe(true);
  });
});

describe('refusals at load', () => {
  it('an SDXL UNet (text_embeds, time_ids) with one text encoder in the manifest', async () => {
    const dir = copySdxl();
    editJson(join(dir, 'model.json'), (j) => {
      const p = j.prompt as Record<string, unknown>;
      delete p.text_encoder_2;
    });
    await expect(loadModel(dir)).rejects.toThrow(/the UNet takes "text_embeds" and "time_ids" \(SDXL-style\) but the manifest's prompt has no text_encoder_2/);
  });

  it('a float16 decoder of a VAE that overflows in float16 (force_upcast); the fp16-fixed VAE (force_upcast false) loads', async () => {
    const dir = copySdxl();
    cpSync(join(MODELS_DIR, 'tiny-sd-fp16', 'vae_decoder', 'model.onnx'), join(dir, 'vae_decoder', 'model.onnx'));
    await expect(loadModel(dir)).rejects.toThrow(
      /vae_decoder\/model\.onnx: this VAE overflows in float16 \(its config says force_upcast.*export the VAE decoder in float32, or use a VAE fixed for float16/,
    );
    editJson(join(dir, 'model.json'), (j) => ((j.vae as Record<string, unknown>).force_upcast = false));
    const m = await loadModel(dir);
    try {
      expect((await m.fromSample(new Float32Array(4 * 8 * 8))).every(Number.isFinite)).toBe(true);
    } finally {
      await m.dispose();
    }
  });
});
