// Follow-ups on the engine (tiny model): stateless action ids, the buttons each kind of result
// gets, and the clear refusals (unknown job, missing candidate, strips, no prompt to paint with).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLineOf } from '../../commands/command-line.ts';
import { waitForJob, type JobOwner } from '../../src/jobs/api.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { followUp } from '../../src/engine/follow-ups.ts';
import { actionId, actionRows, parseActionId } from '../../src/adapters/presentation/follow-up-buttons.ts';
import { testConfig, testPng } from './helpers.ts';

const owner: JobOwner = { platform: 'test', userId: 'u1' };
let engine: LocalEngine;

beforeAll(async () => {
  engine = createEngine(testConfig({ USER_MAX_PENDING: '4' }), { defaultMetrics: false });
  await engine.start();
});
afterAll(async () => {
  await engine?.close();
});

async function finished(spec: Record<string, unknown>): Promise<string> {
  const r = await engine.submit(spec, owner);
  if (!r.ok) throw new Error(r.message);
  expect((await waitForJob(engine, r.jobId)).type).toBe('done');
  return r.jobId;
}

describe('follow-up ids and buttons', () => {
  it('round-trips action ids and rejects anything else', () => {
    expect(parseActionId(actionId('abc123', 'vs', 3))).toEqual({ jobId: 'abc123', action: 'vs', n: 3 });
    for (const bad of [
      'act:abc123:zz:1',
      'act:abc123:u:5',
      'act:ABC:u:1',
      'diffuse:regen:abc123',
      'act:abc123:u:1:x',
    ])
      expect(parseActionId(bad)).toBeNull();
  });

  it('gives grids U/V rows, single pictures zoom and pan, and strips only a reroll', () => {
    const labels = (spec: Parameters<typeof actionRows>[1]) =>
      actionRows('j1', spec).map((r) => r.map((b) => b.label));
    expect(labels({ technique: 'imagine', count: 3 })).toEqual([
      ['U1', 'U2', 'U3'],
      ['V1', 'V2', 'V3'],
      ['🔁'],
    ]);
    expect(labels({ technique: 'hybrid' })).toEqual([
      ['Upscale', 'Vary (subtle)', 'Vary (strong)', '🔁'],
      ['Zoom out 1.5x', 'Zoom out 2x'],
      ['⬅', '➡', '⬆', '⬇'],
    ]);
    expect(labels({ technique: 'noise' })).toEqual([['🔁']]);
    // An upscale is not offered another upscale (it would not grow).
    expect(labels({ technique: 'sketch', upscale: true })[0]).toEqual(['Vary (subtle)', 'Vary (strong)', '🔁']);
    expect(actionRows('j1', { technique: 'hybrid' })[2][0].words).toBe('Pan left');
  });
});

describe('follow-up refusals', () => {
  it('refuses an unknown job, a candidate the job does not have, a strip, and a zoom without a prompt', async () => {
    expect(await followUp(engine, 'zzzzzzzzzz', 'u', 1, owner)).toMatchObject({
      ok: false,
      code: 'not_found',
    });
    const two = await finished({ technique: 'imagine', prompt: 'rocket', steps: 2, count: 2, seed: 1 });
    expect(await followUp(engine, two, 'u', 3, owner)).toMatchObject({
      ok: false,
      message: `Job ${two} has no image 3.`,
    });
    const up = await engine.storeUpload(await testPng(64, 64), owner);
    if (!up.ok) throw new Error(up.message);
    const strip = await finished({ technique: 'noise', image: up.ref, seed: 1 });
    expect(await followUp(engine, strip, 'vs', 1, owner)).toMatchObject({
      ok: false,
      message: 'A noise result can only be rerolled.',
    });
    const re = await followUp(engine, strip, 're', 1, owner);
    expect(re).toMatchObject({
      ok: true,
      spec: { technique: 'noise', from: { jobId: strip, action: 'reroll' } },
    });
    if (re.ok) await waitForJob(engine, re.jobId);
    const sketch = await finished({ technique: 'sketch', image: up.ref, steps: 2, noiseLevel: 1, seed: 1 });
    expect(await followUp(engine, sketch, 'zo15', 1, owner)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/no prompt/),
    });
    // U asks for the upscale; the reproducing command line (/info) keeps it.
    const u = await followUp(engine, sketch, 'u', 1, owner);
    expect(u).toMatchObject({ ok: true, spec: { technique: 'sketch', upscale: true, seed: 1 } });
    if (u.ok) {
      expect(commandLineOf(u.spec)).toContain(' --upscale');
      await waitForJob(engine, u.jobId);
      // U of an upscale would not grow it: refused, with what to do instead.
      expect(await followUp(engine, u.jobId, 'u', 1, owner)).toMatchObject({
        ok: false,
        message: expect.stringMatching(/already an upscale; another one would not make it larger/),
      });
    }
    const v = await followUp(engine, sketch, 'vs', 1, owner);
    expect(v).toMatchObject({
      ok: true,
      spec: { technique: 'sketch', from: { jobId: sketch, action: 'V1 subtle' } },
    });
    if (v.ok) await waitForJob(engine, v.jobId);
  });
});
