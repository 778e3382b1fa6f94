// The bundled model's coarse data prior is named and optional: /model says what it does and how
// much it sets, `prior: false` (a job's option, or /settings) draws with the trained network alone,
// and the caption, /info and the `diffuse` line that redraws the job say so.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCaption } from '../../commands/caption.ts';
import { getCommand } from '../../commands/index.ts';
import type { CommandReply } from '../../commands/types.ts';
import { waitForJob, type JobOwner } from '../../src/jobs/api.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { testConfig } from './helpers.ts';

const owner: JobOwner = { platform: 'playground', userId: 'u1', serverId: 'playground' };
let engine: LocalEngine;
beforeAll(async () => {
  engine = createEngine(testConfig({ MODEL: 'emoji' }), { defaultMetrics: false });
  await engine.start();
});
afterAll(async () => {
  await engine.close();
});

const ctxOf = (options: Record<string, string | number | boolean> = {}) => ({
  engine,
  owner,
  actor: { userId: 'u1', isAdmin: false },
  options,
  defaultModel: 'emoji',
});

async function imagine(options: Record<string, string | number | boolean>) {
  const reply = (await getCommand('imagine')!.execute(ctxOf({ prompt: 'a red heart', seed: 5, steps: 6, ...options }))) as Extract<CommandReply, { kind: 'job' }>;
  if (reply.kind !== 'job') throw new Error(JSON.stringify(reply));
  const end = await waitForJob(engine, reply.jobId);
  if (end.type !== 'done') throw new Error(JSON.stringify(end));
  return { jobId: reply.jobId, result: end.result };
}

describe('the coarse prior as an option', () => {
  it('/model names the prior, its figures with and without it, and how to turn it off', async () => {
    const model = (await getCommand('model')!.execute(ctxOf())) as { text: string };
    // Concepts are emoji (each named in several languages), and the examples are different emoji.
    expect(model.text).toMatch(/and 3786 concepts, e\.g\. /);
    expect(model.text).toMatch(/Prior: A coarse data prior lays out each picture from training images/);
    expect(model.text).toContain('96% of samples read as the prompt with it and 4% with the network alone');
    expect(model.text).toContain('prior:false');
  });

  it('prior:false draws another picture (the network alone), and the caption, /info and the diffuse line say so', async () => {
    const on = await imagine({});
    const off = await imagine({ prior: false });
    expect(off.result.spec.prior).toBe(false);
    expect(readFileSync(off.result.files.rawPng).equals(readFileSync(on.result.files.rawPng))).toBe(false);
    expect(buildCaption(off.result, { style: 'plain' })).toContain('prior off');
    expect(buildCaption(on.result, { style: 'plain' })).not.toContain('prior');
    const info = (await getCommand('info')!.execute(ctxOf({ job: off.jobId }))) as { text: string };
    expect(info.text).toContain('prior off (the network alone)');
    expect(info.text).not.toContain('Prior: on');
    const infoOn = (await getCommand('info')!.execute(ctxOf({ job: on.jobId }))) as { text: string };
    expect(infoOn.text).toMatch(/Prior: on\. A coarse data prior lays out each picture .*96% .* 4% with the network alone/);
    expect(info.text).toContain('--prior off');
    // Text forms: "off" works as false; anything else is refused with what to write.
    expect((await imagine({ prior: 'off' })).result.spec.prior).toBe(false);
    const bad = await getCommand('imagine')!.execute(ctxOf({ prompt: 'a red heart', prior: 'maybe' }));
    expect(bad).toMatchObject({ kind: 'refusal', message: 'prior must be true or false (on or off).' });
  }, 120_000);

  it('/settings prior:false turns it off for the user\'s next jobs; an option given to the command wins', async () => {
    const saved = (await getCommand('settings')!.execute(ctxOf({ prior: false }))) as { text: string };
    expect(saved.text).toContain('prior off (yours)');
    expect((await imagine({})).result.spec.prior).toBe(false);
    expect((await imagine({ prior: true })).result.spec.prior).toBeUndefined();
    await getCommand('settings')!.execute(ctxOf({ clear: 'prior' }));
    expect((await imagine({})).result.spec.prior).toBeUndefined();
  }, 120_000);
});
