// The files a model.json names stay inside the model folder (relative, no `..` out, no symbolic
// link out), and errors about model files never quote the bytes read from them.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCoarsePrior } from '../../src/runtime/coarse-prior.ts';
import { loadPrecomputed } from '../../src/runtime/if/precomputed.ts';
import { ModelError, listModels, loadModel, readManifest } from '../../src/runtime/index.ts';
import { loadPromptEncoder } from '../../src/runtime/prompt/encoder.ts';
import { MODELS_DIR } from './helpers.ts';

/** Text of a file outside every model folder: no error may ever show it. */
const SECRET = 'root:x:0:0:SECRET-BYTES:/root:/bin/bash\n';

const top = mkdtempSync(join(tmpdir(), 'diffuse-model-paths-'));
const outside = join(top, 'outside', 'secret.json');
mkdirSync(join(top, 'outside'));
writeFileSync(outside, SECRET);
let n = 0;
let dir: string;

afterAll(() => rmSync(top, { recursive: true, force: true }));

/** A fresh copy of test-tiny, in its own folder under a models folder. */
beforeEach(() => {
  dir = join(top, 'models', `m${n++}`);
  cpSync(join(MODELS_DIR, 'test-tiny'), dir, { recursive: true });
});

function manifest(): Record<string, Record<string, unknown>> {
  return JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, Record<string, unknown>>;
}

function writeManifest(m: unknown): void {
  writeFileSync(join(dir, 'model.json'), JSON.stringify(m));
}

async function errorOf(fn: () => unknown): Promise<ModelError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ModelError) return err;
    throw err;
  }
  throw new Error('expected a ModelError');
}

/** The error is a manifest error, names what it should, and quotes nothing of the secret. */
function expectClean(err: ModelError, re: RegExp): void {
  expect(err.code).toBe('bad-manifest');
  expect(err.message).toMatch(re);
  expect(err.message).not.toMatch(/root:x|SECRET|bin\/bash/);
  expect(String((err as { cause?: unknown }).cause ?? '')).not.toMatch(/SECRET/);
}

describe('paths in model.json', () => {
  it('refuses a path that climbs out of the model folder, naming the field', async () => {
    const m = manifest();
    m.prompt.vocab = '../../outside/secret.json';
    writeManifest(m);
    expectClean(await errorOf(() => readManifest(dir)), /`prompt\.vocab` leads out of the model folder/);
    expectClean(await errorOf(() => loadModel(dir)), /`prompt\.vocab`/);
    expect(listModels(join(top, 'models')).find((x) => dir.endsWith(x.name))?.error).toMatch(/prompt\.vocab/);
  });

  it('refuses an absolute path', async () => {
    const m = manifest();
    m.unet.file = '/etc/hostname';
    writeManifest(m);
    expectClean(await errorOf(() => readManifest(dir)), /`unet\.file` is an absolute path/);
  });

  it('refuses a symbolic link that leads out of the folder, file or folder', async () => {
    rmSync(join(dir, 'text', 'vocab.json'));
    symlinkSync(outside, join(dir, 'text', 'vocab.json'));
    expectClean(await errorOf(() => readManifest(dir)), /`prompt\.vocab` is a symbolic link .* leads out/);

    const m = manifest();
    symlinkSync(join(top, 'outside'), join(dir, 'elsewhere'));
    m.prompt.vocab = 'elsewhere/secret.json';
    writeManifest(m);
    expectClean(await errorOf(() => readManifest(dir)), /`prompt\.vocab` is a symbolic link/);
  });

  it('refuses model.json itself as a symbolic link out of the folder', async () => {
    rmSync(join(dir, 'model.json'));
    symlinkSync(outside, join(dir, 'model.json'));
    expectClean(await errorOf(() => readManifest(dir)), /model\.json/);
  });

  it('accepts links that stay inside, and a model folder reached through a link', async () => {
    const m = manifest();
    symlinkSync(join(dir, 'text', 'vocab.json'), join(dir, 'vocab-link.json'));
    m.prompt.vocab = './text/../vocab-link.json';
    writeManifest(m);
    expect(readManifest(dir).prompt).toMatchObject({ vocab: './text/../vocab-link.json' });
    const linked = join(top, `link${n}`);
    symlinkSync(dir, linked);
    expect(readManifest(linked).name).toBe('test-tiny');
  });

  it('readers confine their paths too (a manifest that never went through readManifest)', async () => {
    const prompt = { ...manifest().prompt, embeddings: '../../outside/secret.json' };
    expectClean(
      await errorOf(() => loadPromptEncoder(dir, prompt as never)),
      /`prompt\.embeddings` leads out/,
    );
    const prior = { tiles: 'a.png', index: '../../outside/secret.json', from_t: 900, to_t: 100 };
    expectClean(
      await errorOf(() => loadCoarsePrior(dir, prior, { channels: 3, height: 64, width: 64 })),
      /`prior\.index` leads out/,
    );
  });
});

describe('errors about model files never quote their bytes', () => {
  it('a model.json that is not JSON', async () => {
    writeFileSync(join(dir, 'model.json'), SECRET);
    expectClean(await errorOf(() => readManifest(dir)), /model\.json is not valid JSON/);
  });

  it('a vocabulary, a prior index and a prompt index that are not JSON', async () => {
    writeFileSync(join(dir, 'text', 'vocab.json'), SECRET);
    expectClean(await errorOf(() => loadModel(dir)), /vocab\.json is not valid JSON/);

    writeFileSync(join(dir, 'prior.json'), SECRET);
    const prior = { tiles: 'a.png', index: 'prior.json', from_t: 900, to_t: 100 };
    expectClean(
      await errorOf(() => loadCoarsePrior(dir, prior, { channels: 3, height: 64, width: 64 })),
      /prior\.json: is not valid JSON/,
    );

    const precomputed = {
      encoder: 'precomputed',
      index: 'prior.json',
      data: 'x.bin',
      dtype: 'float32',
      dims: [4],
    };
    expectClean(
      await errorOf(() => loadPrecomputed(dir, precomputed as never)),
      /Prompt index .*prior\.json is not valid JSON/,
    );
  });
});
