// A flow-matching model end to end (models/tiny-flow, built by scripts/make-tiny-flow.py): SD3's
// scheduler config (FlowMatchEulerDiscreteScheduler, shift 3) sampled by flow-euler, a UNet-contract
// denoiser that returns the velocity and is fed t = sigma x 1000 (fractional, as diffusers feeds SD3),
// SD3's VAE scaling and shift. In process, through the engine, the playground and the CLI, and as
// `models pull` writes it for a local folder.
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conditional } from '../../src/diffusion/guidance.ts';
import { sampleLoop } from '../../src/diffusion/loop.ts';
import { createRng } from '../../src/diffusion/rng.ts';
import { createSampler } from '../../src/diffusion/samplers/registry.ts';
import { makeSchedule } from '../../src/diffusion/schedule.ts';
import { decodeImage } from '../../src/imaging/index.ts';
import { waitForJob, type JobOwner } from '../../src/jobs/api.ts';
import { detectLayout } from '../../src/runtime/hub/pull.ts';
import { manifestFromDiffusersFolder } from '../../src/runtime/latent/diffusers.ts';
import { loadModel, type LoadedModel } from '../../src/runtime/index.ts';
import { runCli, tempDir } from '../cli/helpers.ts';
import { Client, readEvents, samplePng, usePlayground } from '../playground/helpers.ts';
import { MODELS_DIR } from './helpers.ts';

const FLOW = join(MODELS_DIR, 'tiny-flow');
const SD3_SCHEDULER = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'fixtures', 'schedulers', 'sd3-flow.json'), 'utf8'),
) as Record<string, unknown>;
const owner: JobOwner = { platform: 'playground', userId: 'u1' };

describe('tiny-flow as models pull writes it', () => {
  it("carries SD3's published scheduler config, flow-euler at SD3's pipeline defaults (28 steps, guidance 7) and SD3's VAE scaling", () => {
    const committed = JSON.parse(readFileSync(join(FLOW, 'model.json'), 'utf8')) as Record<string, unknown>;
    expect(committed.scheduler).toEqual(SD3_SCHEDULER);
    expect(committed.defaults).toEqual({ steps: 28, guidance: 7, sampler: 'flow-euler' });
    expect(committed.vae).toMatchObject({ scaling_factor: 1.5305, shift_factor: 0.0609 });
    const again = manifestFromDiffusersFolder(FLOW, {
      name: 'tiny-flow',
      description: committed.description as string,
      license: committed.license as string,
    });
    expect(again).toEqual(committed);
  });

  it('a local folder: model.json names FlowMatchEulerDiscreteScheduler -> flow-euler, and the CLI prints every key applied', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const local = join(dir, 'my-flow');
      cpSync(FLOW, local, { recursive: true });
      unlinkSync(join(local, 'model.json'));
      const r = await runCli(['models', 'pull', local, '--json'], dir);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { scheduler: string };
      expect(out.scheduler).toMatch(/^scheduler FlowMatchEulerDiscreteScheduler -> sampler flow-euler; applied: num_train_timesteps 1000, shift 3, use_dynamic_shifting false/);
      expect(out.scheduler).not.toContain('not used by');
      const manifest = JSON.parse(readFileSync(join(local, 'model.json'), 'utf8')) as Record<string, Record<string, unknown>>;
      expect(manifest.scheduler).toEqual(SD3_SCHEDULER);
      expect(manifest.defaults.sampler).toBe('flow-euler');
      const text = await runCli(['models', 'pull', local], dir);
      expect(text.stderr).toContain('scheduler FlowMatchEulerDiscreteScheduler -> sampler flow-euler; applied: ');
    } finally {
      cleanup();
    }
  });

  it('refuses a flow model whose timestep input is an integer, and a diffusion-transformer folder, naming what is missing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'diffuse-flow-'));
    try {
      // tiny-sd's UNet takes an int64 timestep: as a flow model it would be fed rounded sigma x 1000.
      const intT = join(root, 'int-timestep');
      cpSync(join(MODELS_DIR, 'tiny-sd'), intT, { recursive: true });
      unlinkSync(join(intT, 'model.json'));
      writeFileSync(join(intT, 'scheduler', 'scheduler_config.json'), JSON.stringify(SD3_SCHEDULER));
      const pulled = await runCli(['models', 'pull', intT, '--json'], root);
      expect(pulled.code, pulled.stderr).toBe(0);
      await expect(loadModel(intT)).rejects.toThrow(/fed the fractional timestep sigma x 1000.*"timestep" is int64; export the denoiser with a float32 or float16 timestep/);

      const sd3 = join(root, 'sd3-like');
      cpSync(FLOW, sd3, { recursive: true });
      unlinkSync(join(sd3, 'model.json'));
      const index = JSON.parse(readFileSync(join(sd3, 'model_index.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(sd3, 'model_index.json'), JSON.stringify({ ...index, transformer: ['diffusers', 'OnnxRuntimeModel'] }));
      const refused = await runCli(['models', 'pull', sd3], root);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/diffusion-transformer model .* takes pooled_projections .* runs CLIP text encoders only/);
      // A hub listing of an SD3-style ONNX export (transformer/, three text encoders) is refused before any download.
      const sd3Listing = ['model_index.json', 'transformer/model.onnx', 'text_encoder/model.onnx', 'text_encoder_2/model.onnx', 'text_encoder_3/model.onnx', 'vae_decoder/model.onnx'];
      expect(() => detectLayout(sd3Listing)).toThrow(/this repository: a diffusion-transformer model \(transformer\/model.onnx, SD3\/Flux-style\) is not supported/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('tiny-flow in process', () => {
  let model: LoadedModel;
  let sd: LoadedModel;
  beforeAll(async () => {
    model = await loadModel('tiny-flow', { modelsDir: MODELS_DIR });
    sd = await loadModel('tiny-sd', { modelsDir: MODELS_DIR });
  });
  afterAll(async () => {
    await Promise.all([model.dispose(), sd.dispose()]);
  });

  it('the denoiser is fed t = sigma x 1000 of the plan, fractional, and the model sees the fraction', async () => {
    const sampler = createSampler('flow-euler', model.manifest.scheduler);
    const plan = sampler.plan(28, makeSchedule(sampler.config.settings));
    const seen: number[] = [];
    const { cond } = await model.encodePrompt('a red apple');
    await sampleLoop({
      x: createRng(1).normal(4 * 8 * 8),
      plan,
      sampler,
      estimator: conditional(cond),
      denoiser: (t, batch, signal) => {
        seen.push(t);
        return model.denoiser(t, batch, signal);
      },
      rng: createRng(2),
    });
    expect(seen).toEqual(plan.steps.map((s) => s.t));
    expect(seen[0]).toBeCloseTo(1000, 3);
    expect(seen[1]).toBeCloseTo(987.3806, 2);
    // A runtime that rounded the timestep would give the same output at 987 and 987.38.
    const x = createRng(3).normal(4 * 8 * 8);
    const [a] = await model.denoiser(seen[1], [{ x, cond }]);
    const [b] = await model.denoiser(987, [{ x, cond }]);
    expect(Array.from(a.eps)).not.toEqual(Array.from(b.eps));
  });

  it("decodes z / 1.5305 + 0.0609 (SD3's scaling and shift): the same VAE as tiny-sd's fed 0.18215 (z / 1.5305 + 0.0609)", async () => {
    const z = createRng(4).normal(4 * 8 * 8);
    const flowImage = await model.fromSample(z);
    const sdImage = await sd.fromSample(z.map((v) => 0.18215 * (v / 1.5305 + 0.0609)));
    let diff = 0;
    for (let i = 0; i < flowImage.length; i++) diff = Math.max(diff, Math.abs(flowImage[i] - sdImage[i]));
    expect(diff).toBeLessThan(1e-5);
    // Without the shift the picture differs, by far more than the tolerance above (the random VAE is not very sensitive).
    const unshifted = await sd.fromSample(z.map((v) => 0.18215 * (v / 1.5305)));
    expect(Math.max(...flowImage.map((v, i) => Math.abs(v - unshifted[i])))).toBeGreaterThan(1e-4);
    // Encoding inverts it: z = 1.5305 (mean - 0.0609).
    const img = await model.fromSample(z);
    const zFlow = await model.toSample(img);
    const zSd = await sd.toSample(img);
    expect(Math.max(...zFlow.map((v, i) => Math.abs(v - 1.5305 * (zSd[i] / 0.18215 - 0.0609))))).toBeLessThan(1e-4);
  });
});

describe('tiny-flow on the engine and the playground', () => {
  const env = usePlayground({ MODEL: 'tiny-flow', USER_MAX_PENDING: '8' });

  async function png(input: object): Promise<{ png: string; timings: Record<string, unknown>; spec: Record<string, unknown> }> {
    const r = await env.engine.submit(input, owner);
    if (!r.ok) throw new Error(r.message);
    const end = await waitForJob(env.engine, r.jobId);
    if (end.type !== 'done') throw new Error(`job ended ${end.type}`);
    return {
      png: readFileSync(end.result.files.png).toString('base64'),
      timings: end.result.timings as unknown as Record<string, unknown>,
      spec: end.result.spec as unknown as Record<string, unknown>,
    };
  }

  it('reports FlowMatchEulerDiscreteScheduler, flow-euler at 28 steps and guidance 7, and the VP samplers refused', async () => {
    const info = await env.engine.modelInfo();
    if (!info.ok) throw new Error(info.message);
    expect(info.info.defaults).toMatchObject({ steps: 28, guidance: 7, sampler: 'flow-euler' });
    expect(info.info.scheduler?.className).toBe('FlowMatchEulerDiscreteScheduler');
    expect(info.info.scheduler?.applied).toContain('shift 3');
    expect(info.info.scheduler?.samplers['flow-euler']).toEqual({});
    expect(info.info.scheduler?.samplers.ddim?.refused).toContain('flow-matching model samples with flow-euler');
  });

  it('imagine: 28 flow-euler steps with CFG (two evaluations per step); same seed, same bytes; fewer steps, another picture', async () => {
    const a = await png({ technique: 'imagine', prompt: 'a red apple', seed: 7 });
    expect(a.spec).toMatchObject({ steps: 28, guidance: 7, sampler: 'flow-euler' });
    expect(a.timings).toMatchObject({ unetCalls: 28, unetEvaluations: 56 });
    const again = await png({ technique: 'imagine', prompt: 'a red apple', seed: 7 });
    expect(again.png).toBe(a.png);
    const four = await png({ technique: 'imagine', prompt: 'a red apple', seed: 7, steps: 4 });
    expect(four.timings).toMatchObject({ unetCalls: 4 });
    expect(four.png).not.toBe(a.png);
  });

  it('a VP sampler is refused at submit with the reason', async () => {
    const r = await env.engine.submit({ technique: 'imagine', prompt: 'a cat', seed: 1, sampler: 'dpmpp-2m' }, owner);
    expect(!r.ok && r.message).toContain('a flow-matching model samples with flow-euler, not dpmpp-2m');
  });

  it('noise and denoise are refused at submit (nothing queued), naming why', async () => {
    const up = await env.engine.storeUpload(await samplePng(64, 64), owner);
    if (!up.ok) throw new Error(up.message);
    for (const technique of ['noise', 'denoise']) {
      const r = await env.engine.submit({ technique, image: up.ref, seed: 1 }, owner);
      expect(r).toMatchObject({ ok: false, code: 'invalid_spec' });
      expect(!r.ok && r.message).toContain(`${technique} shows the DDPM forward process, which a flow-matching model`);
    }
    expect(await env.engine.listQueue()).toEqual([]);
  });

  it('the playground runs /imagine at 28 steps, progress through every step, shown in the caption', async () => {
    const alice = new Client(env.pg.url);
    const res = await alice.postJson('/api/jobs', { command: 'imagine', options: { prompt: 'a red apple', seed: 3 } });
    const job = (await res.json()) as { jobId: string; error?: string };
    expect(res.status, job.error).toBe(202);
    const events = await readEvents(await alice.fetch(`/api/jobs/${job.jobId}/events`));
    expect(events.at(-1)!.event).toBe('done');
    expect((events.at(-1)!.data.job as { caption: string }).caption).toContain('28 steps');
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data as { total: number; step: number });
    expect(new Set(progress.map((p) => p.step))).toEqual(new Set(Array.from({ length: 28 }, (_, i) => i + 1)));
    expect(progress.every((p) => p.total === 28)).toBe(true);
  });
});

describe('tiny-flow through the CLI', () => {
  it('imagine runs flow-euler at 28 steps; sketch runs on flow levels; noise and denoise are refused naming why', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const args = ['--model', 'tiny-flow', '--seed', '5'];
      const a = await runCli(['imagine', 'a red apple', ...args, '--json', '-o', 'a.png'], dir);
      expect(a.code, a.stderr).toBe(0);
      expect(JSON.parse(a.stdout)).toMatchObject({ sampler: 'flow-euler', steps: 28, guidance: 7, model: 'tiny-flow', timings: { loopSteps: 28 } });
      const b = await runCli(['imagine', 'a red apple', ...args, '--cfg', '3', '-o', 'b.png'], dir);
      expect(b.code, b.stderr).toBe(0);
      const [pa, pb] = await Promise.all(['a.png', 'b.png'].map((f) => decodeImage(readFileSync(join(dir, f)))));
      expect(Buffer.compare(pa.rgb, pb.rgb)).not.toBe(0);
      writeFileSync(join(dir, 'in.png'), await samplePng(64, 64));
      const s = await runCli(['sketch', 'in.png', 'a cat', ...args, '--json', '-o', 's.png'], dir);
      expect(s.code, s.stderr).toBe(0);
      expect(JSON.parse(s.stdout)).toMatchObject({ sampler: 'flow-euler' });
      for (const technique of ['noise', 'denoise']) {
        const r = await runCli([technique, 'in.png', ...args, '-o', 'n.png'], dir);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`${technique} shows the DDPM forward process, which a flow-matching model (FlowMatchEulerDiscreteScheduler) does not have`);
      }
    } finally {
      cleanup();
    }
  });
});
