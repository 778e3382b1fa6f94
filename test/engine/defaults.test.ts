// Model defaults are resolved once, where the model is loaded: a job that leaves steps and guidance
// out runs with its model's manifest defaults (emoji: guidance 3; a few-step model: 4 steps and no
// guidance, one UNet evaluation per step), the stored spec keeps what the user gave, the result
// and caption show what ran, and /model and /help ask the engine.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCaption } from '../../commands/caption.ts';
import { getCommand } from '../../commands/index.ts';
import type { CommandReply } from '../../commands/types.ts';
import { waitForJob, type JobOwner, type JobResult, type SubmitResult } from '../../src/jobs/api.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import {
  defaultNoiseLevel,
  parseJobSpec,
  resolveJobSpec,
  type JobSpec,
} from '../../src/jobs/spec.ts';
import { runCli, tempDir } from '../cli/helpers.ts';
import { ROOT, testConfig, testPng } from './helpers.ts';

const FIXTURE_MODELS = path.join(ROOT, 'test', 'engine', 'fixtures', 'models');
const owner: JobOwner = { platform: 'playground', userId: 'u1' };
const ctxOf = (engine: LocalEngine, options: Record<string, string | number> = {}) => ({
  engine,
  owner,
  actor: { userId: 'u1', isAdmin: false },
  options,
});

async function run(engine: LocalEngine, input: object): Promise<{ spec: JobSpec; result: JobResult; steps: number[] }> {
  const r: SubmitResult = await engine.submit(input, owner);
  if (!r.ok) throw new Error(r.message);
  const steps: number[] = [];
  const end = await waitForJob(engine, r.jobId, (e) => {
    if (e.type === 'progress' && !e.preview) steps.push(e.step);
  });
  if (end.type !== 'done') throw new Error(`job ended ${end.type}: ${'message' in end ? end.message : ''}`);
  return { spec: r.spec, result: end.result, steps };
}

describe('resolveJobSpec', () => {
  const parsed = (input: object): JobSpec => {
    const p = parseJobSpec(input);
    if (!p.ok) throw new Error(p.message);
    return p.spec;
  };

  it('fills what the user left out from the model, keeps what the user gave', () => {
    const given = parsed({ technique: 'imagine', prompt: 'a cat', seed: 1 });
    expect(resolveJobSpec(given, { steps: 33, guidance: 3 })).toEqual({
      ok: true,
      spec: { technique: 'imagine', prompt: 'a cat', seed: 1, steps: 33, guidance: 3, sampler: 'ddpm', count: 1 },
    });
    const explicit = parsed({ technique: 'imagine', prompt: 'a cat', seed: 1, steps: 5, guidance: 9 });
    expect(resolveJobSpec(explicit, { steps: 4, guidance: 0 })).toMatchObject({ spec: { steps: 5, guidance: 9 } });
    // The sampler: the user's, else the model's, else ddpm; noise has none.
    const dpm = parsed({ technique: 'imagine', prompt: 'a cat', seed: 1, sampler: 'dpmpp-2m' });
    expect(resolveJobSpec(dpm, { steps: 4, guidance: 0, sampler: 'euler-a' })).toMatchObject({ spec: { sampler: 'dpmpp-2m' } });
    expect(resolveJobSpec(given, { steps: 4, guidance: 0, sampler: 'euler-a' })).toMatchObject({ spec: { sampler: 'euler-a' } });
    const noise = parsed({ technique: 'noise', image: 'a'.repeat(64), seed: 1, sampler: 'ddim' });
    const resolvedNoise = resolveJobSpec(noise, { steps: 4, guidance: 0 });
    expect(resolvedNoise.ok && 'sampler' in resolvedNoise.spec).toBe(false);
  });

  it('caps the model default at MAX_STEPS and scales the sketch noise level with the steps', () => {
    const sketch = parsed({ technique: 'sketch', image: 'a'.repeat(64), seed: 1 });
    expect(resolveJobSpec(sketch, { steps: 50, guidance: 7.5 }, { maxSteps: 20 })).toMatchObject({
      spec: { steps: 20, noiseLevel: 6 },
    });
    expect([33, 20, 4, 1].map(defaultNoiseLevel)).toEqual([10, 6, 1, 0]);
  });

  it('refuses a given noise level at or past the model default step count', () => {
    const sketch = parsed({ technique: 'sketch', image: 'a'.repeat(64), seed: 1, noiseLevel: 7 });
    expect(resolveJobSpec(sketch, { steps: 4, guidance: 0 })).toEqual({
      ok: false,
      message: "Noise level must be below this model's 4 steps.",
    });
  });
});

describe('the engine on the emoji model (manifest: 33 steps, guidance 3)', () => {
  let engine: LocalEngine;
  beforeAll(async () => {
    engine = createEngine(testConfig({ MODEL: 'emoji' }), { defaultMetrics: false });
    await engine.start();
  });
  afterAll(async () => {
    await engine.close();
  });

  it('an /imagine without cfg runs at guidance 3: stored spec as given, result and caption effective', async () => {
    const reply = (await getCommand('imagine')!.execute(ctxOf(engine, { prompt: 'a red heart', seed: 5, steps: 2 }))) as Extract<
      CommandReply,
      { kind: 'job' }
    >;
    expect(reply.kind).toBe('job');
    expect(reply.spec).not.toHaveProperty('guidance');
    const end = await waitForJob(engine, reply.jobId);
    expect(end.type).toBe('done');
    if (end.type !== 'done') return;
    expect(end.result.spec.guidance).toBe(3);
    expect(end.result.spec).toMatchObject({ steps: 2, guidance: 3 });
    // With guidance on, each step is one batched call of two evaluations (conditional and unconditional).
    expect(end.result.timings).toMatchObject({ unetCalls: 2, unetEvaluations: 4 });
    expect(buildCaption(end.result, { style: 'plain' })).toContain('seed 5 · 2 steps · guidance 3 · emoji');
    const stored = await engine.get(reply.jobId);
    expect(stored?.spec).not.toHaveProperty('guidance');
    expect(stored?.result?.spec.guidance).toBe(3);
  });

  it('/model and /help answer from the engine with the effective defaults', async () => {
    const model = (await getCommand('model')!.execute(ctxOf(engine))) as Extract<CommandReply, { kind: 'model' }>;
    expect(model.model).toMatchObject({ name: 'emoji', defaultSteps: 33, defaultGuidance: 3, device: 'cpu' });
    expect(model.text).toContain('Defaults: 33 steps, guidance 3, sketch noise level 10.');
    expect(model.text).toContain('Sampler: ddpm: strided DDPM (the study; default). Others: ddim, ddim-eta1, dpmpp-2m,');
    const help = await getCommand('help')!.execute(ctxOf(engine, { command: 'imagine' }));
    expect((help as { text: string }).text).toContain("cfg (optional): Guidance scale: how closely to follow the prompt; 1 or less = off (default: the model's, 3 for emoji)");
    expect((help as { text: string }).text).toContain("steps (optional): Denoising steps (default: the model's, 33 for emoji)");
  });
});

describe('the engine on a few-step model (manifest: 4 steps, guidance 0)', () => {
  let engine: LocalEngine;
  beforeAll(async () => {
    engine = createEngine(testConfig({ MODEL: 'few-step', MODELS_DIR: FIXTURE_MODELS }), { defaultMetrics: false });
    await engine.start();
  });
  afterAll(async () => {
    await engine.close();
  });

  it('a job without options runs 4 steps with one UNet evaluation each', async () => {
    const { spec, result, steps } = await run(engine, { technique: 'imagine', prompt: 'a rocket', seed: 1 });
    expect(spec).not.toHaveProperty('steps');
    expect(steps).toEqual([1, 2, 3, 4]);
    expect(result).toMatchObject({ model: 'few-step', spec: { steps: 4, guidance: 0 } });
    expect(result.timings).toMatchObject({ unetCalls: 4, unetEvaluations: 4 });
    // The manifest names its sampler (euler-a); the caption shows it.
    expect(buildCaption(result, { style: 'plain' })).toContain('seed 1 · 4 steps · no guidance · sampler euler-a · few-step');
  });

  it('a sketch without a noise level starts at the scaled default (1 of 4: three steps run)', async () => {
    const up = await engine.storeUpload(await testPng(), owner);
    if (!up.ok) throw new Error(up.message);
    const { result, steps } = await run(engine, { technique: 'sketch', image: up.ref, seed: 2 });
    expect(result.spec).toMatchObject({ steps: 4, noiseLevel: 1, guidance: 0 });
    expect(steps).toEqual([1, 2, 3]);
    expect(result.timings).toMatchObject({ unetCalls: 3, unetEvaluations: 3 });
  });

  it('refuses at submit a noise level at or past the model default steps, once the worker reported them', async () => {
    await engine.modelInfo();
    const up = await engine.storeUpload(await testPng(), owner);
    if (!up.ok) throw new Error(up.message);
    expect(await engine.submit({ technique: 'sketch', image: up.ref, noiseLevel: 5 }, owner)).toEqual({
      ok: false,
      code: 'invalid_spec',
      message: "Noise level must be below this model's 4 steps.",
    });
  });

  it('a given guidance still turns CFG on (two evaluations per step)', async () => {
    const { result } = await run(engine, { technique: 'imagine', prompt: 'a rocket', seed: 1, guidance: 5 });
    expect(result.spec).toMatchObject({ steps: 4, guidance: 5 });
    expect(result.timings).toMatchObject({ unetCalls: 4, unetEvaluations: 8 });
  });

  it('/model reports the few-step defaults', async () => {
    const res = await engine.modelInfo();
    expect(res).toMatchObject({ ok: true, info: { name: 'few-step', defaults: { steps: 4, guidance: 0, noiseLevel: 1, sampler: 'euler-a' } } });
    const reply = await getCommand('model')!.execute(ctxOf(engine));
    expect((reply as { text: string }).text).toContain('Defaults: 4 steps, no guidance (cfg 0), sketch noise level 1.');
    expect(await engine.modelInfo('no-such-model')).toMatchObject({ ok: false, code: 'not_found' });
  });
});

describe('the CLI uses the same resolver', () => {
  it('a few-step model runs its 4 steps without guidance, and `diffuse models` lists its defaults', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const model = path.join(FIXTURE_MODELS, 'few-step');
      const run = await runCli(['imagine', 'a rocket', '--model', model, '--seed', '1', '--json', '-o', 'out.png'], dir);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ steps: 4, guidance: 0, timings: { loopSteps: 4 } });
      const bad = await runCli(['sketch', 'nothing.png', '--model', model, '--noise-level', '5'], dir);
      expect(bad.code).toBe(2);
      const list = await runCli(['models'], dir, { MODELS_DIR: FIXTURE_MODELS });
      expect(list.stdout).toMatch(/few-step .* 4 steps, no cfg/);
    } finally {
      cleanup();
    }
  });
});

describe('the engine with DEVICE=auto on a machine without CUDA or a hardware GPU adapter', () => {
  let engine: LocalEngine;
  beforeAll(async () => {
    engine = createEngine(testConfig({ MODEL: 'few-step', MODELS_DIR: FIXTURE_MODELS, DEVICE: 'auto' }), { defaultMetrics: false });
    await engine.start();
  });
  afterAll(async () => {
    await engine.close();
  });

  it('/model says the model runs on the CPU and why auto chose it', async () => {
    const model = (await getCommand('model')!.execute(ctxOf(engine))) as Extract<CommandReply, { kind: 'model' }>;
    expect(model.model.device).toBe('cpu');
    expect(model.model.deviceReason).toMatch(/CUDA/);
    expect(model.text).toMatch(/^Running on: cpu \(.*CUDA.*\)$/m);
  });
});
