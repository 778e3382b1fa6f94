// Requests a sampler cannot run are refused at submit, from what the inference process worked out
// with each sampler's own plan (ModelInfo.scheduler): PNDM with its Runge-Kutta warm-up below 4
// steps, LCM above original_inference_steps. Nothing is stored or queued for a refused request.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCommand } from '../../commands/index.ts';
import type { CommandReply } from '../../commands/types.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { samplerRefusal } from '../../src/engine/spec-checks.ts';
import { waitForJob, type JobOwner, type ModelInfo } from '../../src/jobs/api.ts';
import { schedulerFacts } from '../../src/pipeline/model-info.ts';
import { MODELS_DIR, testConfig } from './helpers.ts';

const owner: JobOwner = { platform: 'playground', userId: 'u1' };
const schedulerOf = (model: string): Record<string, unknown> =>
  (JSON.parse(readFileSync(path.join(MODELS_DIR, model, 'model.json'), 'utf8')) as { scheduler: Record<string, unknown> }).scheduler;

describe('schedulerFacts (the inference side) and samplerRefusal (the bot side)', () => {
  it('a config without skip_prk_steps: PNDM refuses 1-3 steps; LCM refuses above its 50 original steps', () => {
    const facts = schedulerFacts({ beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000 }, 100);
    expect(facts.className).toBe('the project scheduler');
    expect(facts.maxSteps).toBe(100);
    expect(facts.samplers.pndm.refusedSteps).toEqual([
      { from: 1, to: 3, why: 'PNDM with Runge-Kutta steps (skip_prk_steps false) needs at least 4 steps' },
    ]);
    expect(facts.samplers.lcm.refusedSteps).toEqual([
      { from: 51, to: 100, why: 'LCM takes 1..50 steps (original_inference_steps)' },
    ]);
    expect(facts.samplers.ddim).toEqual({});
    expect(facts.samplers['flow-euler'].refused).toContain('flow-matching models only');
  });

  it("the study's strided list (the bundled model's choice) runs every count with every VP sampler", () => {
    const facts = schedulerFacts({ ...schedulerOf('emoji'), timestep_spacing: 'strided' }, 100);
    expect(facts.samplers.pndm).toEqual({});
    expect(facts.samplers.lcm).toEqual({});
  });

  it('SD 1.5-style PNDM (skip_prk_steps true) runs every count; the class and the keys applied are named', () => {
    const facts = schedulerFacts(schedulerOf('tiny-sd'), 60);
    expect(facts.className).toBe('PNDMScheduler');
    expect(facts.applied).toContain('skip_prk_steps true');
    expect(facts.applied).toContain('steps_offset 1');
    expect(facts.samplers.pndm).toEqual({});
    expect(facts.samplers.lcm.refusedSteps).toEqual([{ from: 51, to: 60, why: 'LCM takes 1..50 steps (original_inference_steps)' }]);
  });

  it('samplerRefusal says why and which counts run, and passes what runs', () => {
    const info = {
      name: 'm',
      scheduler: schedulerFacts({ num_train_timesteps: 1000 }, 100),
    } as unknown as ModelInfo;
    expect(samplerRefusal(info, 'pndm', 3)).toBe(
      'Sampler pndm cannot run 3 steps on m: PNDM with Runge-Kutta steps (skip_prk_steps false) needs at least 4 steps. It runs 4-100 steps there.',
    );
    expect(samplerRefusal(info, 'pndm', 4)).toBeNull();
    expect(samplerRefusal(info, 'lcm', 51)).toContain('It runs 1-50 steps there.');
    expect(samplerRefusal(info, 'lcm', 50)).toBeNull();
    expect(samplerRefusal(info, 'flow-euler', 4)).toMatch(/^Sampler flow-euler cannot run m: /);
    expect(samplerRefusal(info, undefined, 3)).toBeNull();
  });
});

describe('the embedded engine refuses at submit (tiny-sd with a PNDM config published without skip_prk_steps)', () => {
  let engine: LocalEngine;
  const models = mkdtempSync(path.join(tmpdir(), 'diffuse-prk-'));
  beforeAll(async () => {
    cpSync(path.join(MODELS_DIR, 'tiny-sd'), path.join(models, 'sd-prk'), { recursive: true });
    const manifestFile = path.join(models, 'sd-prk', 'model.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { name: string; scheduler: Record<string, unknown> };
    manifest.name = 'sd-prk';
    delete manifest.scheduler.skip_prk_steps; // PNDMScheduler's default: Runge-Kutta warm-up steps
    writeFileSync(manifestFile, JSON.stringify(manifest));
    engine = createEngine(testConfig({ MODEL: 'sd-prk', MODELS_DIR: models, MAX_STEPS: '60' }), { defaultMetrics: false });
    await engine.start();
    const info = await engine.modelInfo(); // the facts the inference process reported
    if (!info.ok) throw new Error(info.message);
  });
  afterAll(async () => {
    await engine.close();
    rmSync(models, { recursive: true, force: true });
  });

  it('PNDM at 2 steps and LCM at 55 steps are refused with the reason; nothing is queued', async () => {
    const pndm = await engine.submit({ technique: 'imagine', prompt: 'a cat', seed: 1, steps: 2, sampler: 'pndm' }, owner);
    expect(pndm).toMatchObject({ ok: false, code: 'invalid_spec' });
    expect(!pndm.ok && pndm.message).toBe(
      'Sampler pndm cannot run 2 steps on sd-prk: PNDM with Runge-Kutta steps (skip_prk_steps false) needs at least 4 steps. It runs 4-60 steps there.',
    );
    const lcm = await engine.submit({ technique: 'sketch', image: 'a'.repeat(64), seed: 1, steps: 55, sampler: 'lcm' }, owner);
    expect(!lcm.ok && lcm.message).toContain('LCM takes 1..50 steps (original_inference_steps). It runs 1-50 steps there.');
    expect(await engine.listQueue()).toEqual([]);
  });

  it('/model names the scheduler class, the sampler that runs by default, the config applied and the samplers refused', async () => {
    const ctx = { engine, owner, actor: { userId: 'u1', isAdmin: false }, options: {} };
    const reply = (await getCommand('model')!.execute(ctx)) as Extract<CommandReply, { kind: 'model' }>;
    expect(reply.model).toMatchObject({ schedulerClass: 'PNDMScheduler', defaultSampler: 'pndm', samplersRefused: ['flow-euler'] });
    const line = reply.text.split('\n').find((l) => l.startsWith('Scheduler: '));
    expect(line).toMatch(/^Scheduler: PNDMScheduler, run by pndm by default; config applied: num_train_timesteps 1000, beta_start 0.00085, /);
    expect(line).toContain('skip_prk_steps false');
    expect(line).toContain('steps_offset 1');
    expect(line).toContain('beta_schedule "scaled_linear"');
    expect(reply.text).toContain('\nNot for this model: flow-euler.');
  });

  it('the same samplers at counts they run are taken and finish', async () => {
    for (const [sampler, steps] of [['pndm', 4], ['lcm', 2]] as const) {
      const r = await engine.submit({ technique: 'imagine', prompt: 'a cat', seed: 1, steps, sampler }, owner);
      if (!r.ok) throw new Error(r.message);
      const end = await waitForJob(engine, r.jobId);
      expect(end.type).toBe('done');
    }
  });
});
