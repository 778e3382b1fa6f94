// `diffuse models pull` against a local fake hub on 127.0.0.1 serving the tiny SD-layout model:
// a full pull through the CLI (then listed and used), a dropped connection resumed with Range,
// a .part left by an interrupted run resumed by the next run, and a wrong size rejected.
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubError, listRepoFiles } from '../../src/runtime/hub/client.ts';
import { pullModel } from '../../src/runtime/hub/pull.ts';
import { runCli } from '../cli/helpers.ts';
import { startFakeHub, type FakeHub } from './fake-hub.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const REPO = 'test-org/Tiny-SD';
let root: string;
let source: string;
let hub: FakeHub;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'diffuse-hub-'));
  source = join(root, 'source');
  cpSync(join(ROOT, 'models', 'tiny-sd'), source, { recursive: true });
  unlinkSync(join(source, 'model.json'));
  writeFileSync(join(source, 'README.md'), '---\nlicense: mit\n---\n# Tiny SD\n');
  hub = await startFakeHub({
    repos: { [REPO]: source },
    extra: {
      [REPO]: {
        'safety_checker/model.onnx': Buffer.alloc(300, 1),
        'v1-5-pruned.ckpt': Buffer.alloc(500, 2),
        '.gitattributes': Buffer.from('*.onnx filter=lfs\n'),
      },
    },
    token: 'hf_test_token',
    pageSize: 5,
  });
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

function freshModelsDir(): string {
  return mkdtempSync(join(root, 'models-'));
}
const opts = () => ({ endpoint: hub.endpoint, token: 'hf_test_token' });
const sameBytes = (dir: string, rel: string): boolean =>
  readFileSync(join(dir, rel)).equals(readFileSync(join(source, rel)));

describe('hub listing', () => {
  it('lists every file over paginated tree pages, LFS files with their real size', async () => {
    const files = await listRepoFiles(opts(), REPO, 'main');
    expect(files.length).toBeGreaterThan(5);
    const unet = files.find((f) => f.path === 'unet/model.onnx');
    expect(unet?.size).toBe(statSync(join(source, 'unet', 'model.onnx')).size);
    expect(unet?.sha256).toBe('f'.repeat(64));
    const sub = await listRepoFiles(opts(), REPO, 'main', 'tokenizer');
    expect(sub.map((f) => f.path).sort()).toEqual([
      'tokenizer/merges.txt',
      'tokenizer/special_tokens_map.json',
      'tokenizer/tokenizer_config.json',
      'tokenizer/vocab.json',
    ]);
  });

  it('a missing repository or a missing token is a clear error', async () => {
    await expect(listRepoFiles(opts(), 'test-org/nope', 'main')).rejects.toMatchObject({ code: 'not-found' });
    const err = await listRepoFiles({ endpoint: hub.endpoint }, REPO, 'main').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect((err as Error).message).toMatch(/HF_TOKEN/);
  });
});

describe('diffuse models pull (CLI)', () => {
  it("downloads the layout's files into MODELS_DIR/<name>, writes the manifest; the model is listed and runs", async () => {
    const modelsDir = freshModelsDir();
    const env = { HF_ENDPOINT: hub.endpoint, HF_TOKEN: 'hf_test_token', MODELS_DIR: modelsDir };
    const before = hub.requests.length;
    const r = await runCli(['models', 'pull', REPO, '--json'], root, env);
    expect(r.stderr).not.toMatch(/^diffuse:/m);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as {
      name: string;
      dir: string;
      layout: string;
      family: string;
      downloaded: number;
    };
    expect(j).toMatchObject({ name: 'tiny-sd', layout: 'latent', family: 'latent' });
    const dir = join(modelsDir, 'tiny-sd');
    for (const rel of [
      'unet/model.onnx',
      'text_encoder/model.onnx',
      'vae_decoder/model.onnx',
      'vae_encoder/model.onnx',
      'tokenizer/vocab.json',
      'scheduler/scheduler_config.json',
      'model_index.json',
    ]) {
      expect(sameBytes(dir, rel), rel).toBe(true);
    }
    expect(existsSync(join(dir, 'safety_checker'))).toBe(false);
    expect(existsSync(join(dir, 'v1-5-pruned.ckpt'))).toBe(false);
    const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      name: 'tiny-sd',
      family: 'latent',
      license: 'mit',
      attribution: `${REPO}@main`,
    });
    // The token went with every request to the hub's origin (the fake's CDN paths share it).
    expect(hub.requests.slice(before).every((q) => q.authorization === 'Bearer hf_test_token')).toBe(true);

    const list = await runCli(['models'], root, { MODELS_DIR: modelsDir });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/tiny-sd\s+8x8x4\s+latent/);
    const run = await runCli(
      ['imagine', 'a photo of a cat', '--model', 'tiny-sd', '--steps', '3', '-o', join(root, 'pulled.png')],
      root,
      { MODELS_DIR: modelsDir },
    );
    expect(run.stderr).not.toMatch(/^diffuse:/m);
    expect(run.code).toBe(0);
    expect(existsSync(join(root, 'pulled.png'))).toBe(true);

    // A second pull finds every file complete and downloads nothing.
    const again = await runCli(['models', 'pull', REPO, '--json'], root, env);
    expect(JSON.parse(again.stdout)).toMatchObject({ downloaded: 0 });
  });

  it('an unknown repository exits 2 with a one-line message', async () => {
    const r = await runCli(['models', 'pull', 'test-org/missing'], root, {
      HF_ENDPOINT: hub.endpoint,
      HF_TOKEN: 'hf_test_token',
      MODELS_DIR: freshModelsDir(),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^diffuse: listing test-org\/missing@main: not found/);
  });

  it('a local export folder (a path) gets its model.json without any download', async () => {
    const local = join(root, 'local-export');
    cpSync(source, local, { recursive: true });
    const before = hub.requests.length;
    const r = await runCli(['models', 'pull', local, '--name', 'mine', '--json'], root);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'mine', dir: local, family: 'latent', downloaded: 0 });
    expect(JSON.parse(readFileSync(join(local, 'model.json'), 'utf8'))).toMatchObject({
      name: 'mine',
      license: 'mit',
    });
    expect(hub.requests.length).toBe(before);
  });

  it('models pull without a repository id is a usage error', async () => {
    const r = await runCli(['models', 'pull'], root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/models pull needs <repo-id>/);
  });
});

describe('resumable downloads', () => {
  it('a connection dropped mid-file is resumed with a Range request from the bytes already on disk', async () => {
    const modelsDir = freshModelsDir();
    hub.dropOnce.add('text_encoder/model.onnx');
    const before = hub.requests.length;
    const result = await pullModel({ repo: REPO, modelsDir }, opts());
    const size = statSync(join(source, 'text_encoder', 'model.onnx')).size;
    const reqs = hub.requests
      .slice(before)
      .filter((q) => q.path.endsWith('/text_encoder/model.onnx') && q.path.startsWith('/cdn/'));
    expect(reqs).toHaveLength(2);
    expect(reqs[0].range).toBeUndefined();
    const start = Number(/^bytes=(\d+)-$/.exec(reqs[1].range ?? '')?.[1]);
    expect(start).toBeGreaterThan(0);
    expect(start).toBeLessThanOrEqual(Math.floor(size / 2));
    expect(sameBytes(result.dir, 'text_encoder/model.onnx')).toBe(true);
    expect(existsSync(join(result.dir, 'text_encoder', 'model.onnx.part'))).toBe(false);
  });

  it('an interrupted run leaves a .part that the next run resumes', async () => {
    const modelsDir = freshModelsDir();
    hub.dropOnce.add('unet/model.onnx');
    await expect(pullModel({ repo: REPO, modelsDir }, opts(), { retries: 0 })).rejects.toThrow(
      /interrupted.*run the command again/,
    );
    const part = join(modelsDir, 'tiny-sd', 'unet', 'model.onnx.part');
    const partial = statSync(part).size;
    expect(partial).toBeGreaterThan(0);
    expect(existsSync(join(modelsDir, 'tiny-sd', 'model.json'))).toBe(false);
    const before = hub.requests.length;
    const result = await pullModel({ repo: REPO, modelsDir }, opts());
    const unetReqs = hub.requests
      .slice(before)
      .filter((q) => q.path.startsWith('/cdn/') && q.path.endsWith('/unet/model.onnx'));
    expect(unetReqs.map((q) => q.range)).toEqual([`bytes=${partial}-`]);
    expect(sameBytes(result.dir, 'unet/model.onnx')).toBe(true);
    expect(result.skipped).toBeGreaterThan(0);
    expect(existsSync(join(result.dir, 'model.json'))).toBe(true);
  });

  it('a file whose size differs from the listing is rejected and removed, and no manifest is written', async () => {
    const modelsDir = freshModelsDir();
    hub.sizeDelta.set('vae_decoder/model.onnx', 10);
    try {
      const err = await pullModel({ repo: REPO, modelsDir }, opts()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HubError);
      expect((err as HubError).code).toBe('size-mismatch');
      expect((err as Error).message).toMatch(
        /vae_decoder\/model\.onnx: downloaded \d+ bytes but the listing gives \d+; the file was removed/,
      );
      const dir = join(modelsDir, 'tiny-sd', 'vae_decoder');
      expect(existsSync(join(dir, 'model.onnx'))).toBe(false);
      expect(existsSync(join(dir, 'model.onnx.part'))).toBe(false);
      expect(existsSync(join(modelsDir, 'tiny-sd', 'model.json'))).toBe(false);
    } finally {
      hub.sizeDelta.clear();
    }
    hub.sizeDelta.set('scheduler/scheduler_config.json', -5);
    try {
      await expect(pullModel({ repo: REPO, modelsDir }, opts())).rejects.toThrow(
        /sent more than the \d+ bytes/,
      );
      expect(existsSync(join(modelsDir, 'tiny-sd', 'scheduler', 'scheduler_config.json.part'))).toBe(false);
    } finally {
      hub.sizeDelta.clear();
    }
  });

  it("--subfolder places that folder's files at the model folder's root", async () => {
    const modelsDir = freshModelsDir();
    const nested = join(root, 'nested');
    cpSync(source, join(nested, 'onnx'), { recursive: true });
    const hub2 = await startFakeHub({ repos: { 'test-org/multi': nested } });
    try {
      const r = await pullModel(
        { repo: 'test-org/multi', subfolder: 'onnx', modelsDir },
        { endpoint: hub2.endpoint },
      );
      expect(r.name).toBe('onnx');
      expect(sameBytes(r.dir, 'unet/model.onnx')).toBe(true);
      expect(r.manifest.family).toBe('latent');
      // The pull names the scheduler class, the sampler that runs it and every key it applied or left out.
      expect(r.manifest.defaults.sampler).toBe('pndm');
      expect(r.scheduler).toMatch(/^scheduler PNDMScheduler -> sampler pndm; applied: .*steps_offset 1.*skip_prk_steps true/);
      expect(r.scheduler).toMatch(/not used by PNDMScheduler: clip_sample$/);
    } finally {
      await hub2.close();
    }
  });

  it("a flow-matching repository (SD3's scheduler config) pulls to flow-euler and runs; an SD3-style transformer repository is refused before any download", async () => {
    const modelsDir = freshModelsDir();
    const flow = join(root, 'flow-source');
    cpSync(join(ROOT, 'models', 'tiny-flow'), flow, { recursive: true });
    unlinkSync(join(flow, 'model.json'));
    const sd3 = join(root, 'sd3-source');
    cpSync(flow, sd3, { recursive: true });
    rmSync(join(sd3, 'unet'), { recursive: true });
    cpSync(join(flow, 'unet'), join(sd3, 'transformer'), { recursive: true });
    const hub2 = await startFakeHub({ repos: { 'test-org/Tiny-Flow': flow, 'test-org/SD3-like': sd3 } });
    try {
      const env = { HF_ENDPOINT: hub2.endpoint, MODELS_DIR: modelsDir };
      const r = await runCli(['models', 'pull', 'test-org/Tiny-Flow'], root, env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/scheduler FlowMatchEulerDiscreteScheduler -> sampler flow-euler; applied: num_train_timesteps 1000, shift 3,/);
      const manifest = JSON.parse(readFileSync(join(modelsDir, 'tiny-flow', 'model.json'), 'utf8')) as Record<string, Record<string, unknown>>;
      expect(manifest.scheduler._class_name).toBe('FlowMatchEulerDiscreteScheduler');
      expect(manifest.defaults).toEqual({ steps: 28, guidance: 7, sampler: 'flow-euler' });
      const run = await runCli(['imagine', 'a cat', '--model', 'tiny-flow', '--steps', '3', '--json', '-o', join(root, 'flow.png')], root, env);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ sampler: 'flow-euler', steps: 3 });

      const before = hub2.requests.length;
      const refused = await runCli(['models', 'pull', 'test-org/SD3-like'], root, env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('a diffusion-transformer model (transformer/model.onnx, SD3/Flux-style) is not supported');
      // The listing was asked for, no file.
      expect(hub2.requests.length).toBeGreaterThan(before);
      expect(hub2.requests.slice(before).every((q) => !q.path.includes('/resolve/') && !q.path.startsWith('/cdn/'))).toBe(true);
    } finally {
      await hub2.close();
    }
  });
});
