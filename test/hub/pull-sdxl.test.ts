// `diffuse models pull` of an SDXL-layout repository (the tiny SDXL model served by the local fake hub
// on 127.0.0.1, under a Turbo name): text_encoder_2 and tokenizer_2 come down with the rest, the
// written manifest names the second encoder and the Turbo defaults, and the pulled model runs.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/helpers.ts';
import { startFakeHub, type FakeHub } from './fake-hub.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const REPO = 'test-org/tiny-sdxl-turbo';
let root: string;
let source: string;
let hub: FakeHub;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'diffuse-hub-sdxl-'));
  source = join(root, 'source');
  cpSync(join(ROOT, 'models', 'tiny-sdxl'), source, { recursive: true });
  unlinkSync(join(source, 'model.json'));
  writeFileSync(join(source, 'README.md'), '---\nlicense: other\n---\n# Tiny SDXL Turbo\n');
  hub = await startFakeHub({ repos: { [REPO]: source }, token: 'hf_test_token' });
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

describe('diffuse models pull of an SDXL-layout repository', () => {
  it('downloads both encoders and tokenizers, writes an SDXL manifest with Turbo defaults, and the model runs', async () => {
    const modelsDir = mkdtempSync(join(root, 'models-'));
    const env = { HF_ENDPOINT: hub.endpoint, HF_TOKEN: 'hf_test_token', MODELS_DIR: modelsDir };
    const r = await runCli(['models', 'pull', REPO, '--json'], root, env);
    expect(r.stderr).not.toMatch(/^diffuse:/m);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'tiny-sdxl-turbo', layout: 'latent', family: 'latent' });
    const dir = join(modelsDir, 'tiny-sdxl-turbo');
    for (const rel of ['text_encoder_2/model.onnx', 'tokenizer_2/vocab.json', 'tokenizer_2/special_tokens_map.json', 'text_encoder_2/config.json'])
      expect(readFileSync(join(dir, rel)).equals(readFileSync(join(source, rel))), rel).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      license: 'other',
      description: `Stable-Diffusion-XL-style ONNX model (${REPO}@main)`,
      prompt: { text_encoder_2: { text_encoder: 'text_encoder_2/model.onnx', tokenizer: 'tokenizer_2', pooled_output: 'text_embeds' } },
      vae: { scaling_factor: 0.13025, force_upcast: true },
      defaults: { steps: 1, guidance: 1, sampler: 'euler' },
    });

    const run = await runCli(['imagine', 'a photo of a cat', '--model', 'tiny-sdxl-turbo', '-o', join(root, 'pulled.png'), '--json'], root, {
      MODELS_DIR: modelsDir,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ steps: 1, guidance: 1, model: 'tiny-sdxl-turbo' });
    expect(existsSync(join(root, 'pulled.png'))).toBe(true);
  });
});
