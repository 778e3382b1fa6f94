// `diffuse models pull <repo> --preview-decoder <repo>` against the local fake hub: the tiny SD model
// and a TAESD-style decoder repository (an optimum vae_decoder/model.onnx; fixture of
// scripts/make-onnx-fixtures.py); the decoder lands in preview_decoder/, model.json names it, and the
// pulled model loads with it. A repository without a decoder is refused with what was expected.
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickPreviewDecoder } from '../../src/runtime/hub/preview-decoder.ts';
import { loadModel } from '../../src/runtime/index.ts';
import { runCli } from '../cli/helpers.ts';
import { startFakeHub, type FakeHub } from './fake-hub.ts';

const ROOT = join(import.meta.dirname, '..', '..');
let root: string;
let hub: FakeHub;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'diffuse-hub-preview-'));
  const model = join(root, 'model');
  cpSync(join(ROOT, 'models', 'tiny-sd'), model, { recursive: true });
  unlinkSync(join(model, 'model.json'));
  const taesd = join(root, 'taesd');
  cpSync(
    join(ROOT, 'test', 'latent', 'fixtures', 'preview-decoder', 'model.onnx'),
    join(taesd, 'vae_decoder', 'model.onnx'),
  );
  hub = await startFakeHub({
    repos: {
      'test-org/Tiny-SD': model,
      'test-org/taesd-onnx': taesd,
      'test-org/no-decoder': join(model, 'tokenizer'),
    },
  });
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

describe('models pull --preview-decoder', () => {
  it('fetches the decoder into preview_decoder/, names it in model.json, and the model previews with it', async () => {
    const modelsDir = mkdtempSync(join(root, 'models-'));
    const env = { HF_ENDPOINT: hub.endpoint, MODELS_DIR: modelsDir };
    const r = await runCli(
      ['models', 'pull', 'test-org/Tiny-SD', '--preview-decoder', 'test-org/taesd-onnx', '--json'],
      root,
      env,
    );
    expect(r.stderr).not.toMatch(/^diffuse:/m);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      name: 'tiny-sd',
      previewDecoder: 'preview_decoder/model.onnx',
    });
    const dir = join(modelsDir, 'tiny-sd');
    expect(
      readFileSync(join(dir, 'preview_decoder', 'model.onnx')).equals(
        readFileSync(join(root, 'taesd', 'vae_decoder', 'model.onnx')),
      ),
    ).toBe(true);
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.preview_decoder).toEqual({ file: 'preview_decoder/model.onnx' });
    const m = await loadModel(dir);
    try {
      expect(m.previewDecoder).toBe('tiny autoencoder preview_decoder/model.onnx');
    } finally {
      await m.dispose();
    }
  });

  it('a repository without a decoder is a usage error naming what was expected', async () => {
    const modelsDir = mkdtempSync(join(root, 'models-'));
    const env = { HF_ENDPOINT: hub.endpoint, MODELS_DIR: modelsDir };
    const r = await runCli(
      ['models', 'pull', 'test-org/Tiny-SD', '--preview-decoder', 'test-org/no-decoder'],
      root,
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no preview decoder in the repository: expected vae_decoder\/model\.onnx/);
  });

  it('picks the optimum decoder, else the one *decoder*.onnx', () => {
    expect(pickPreviewDecoder(['vae_encoder/model.onnx', 'vae_decoder/model.onnx'])).toBe(
      'vae_decoder/model.onnx',
    );
    expect(pickPreviewDecoder(['README.md', 'taesd_decoder.onnx', 'taesd_encoder.onnx'])).toBe(
      'taesd_decoder.onnx',
    );
    expect(() => pickPreviewDecoder(['a_decoder.onnx', 'b_decoder.onnx'])).toThrow(/several decoder files/);
  });
});
