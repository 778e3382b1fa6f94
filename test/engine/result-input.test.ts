// A result used as the input of /sketch and /inpaint (job:<id> candidate:<n>) on the engine (tiny
// model, real LocalEngine): the child's spec references the parent's candidate (source action
// 'input') and names the parent; the picture it starts from is that candidate's; the user's own
// mask applies; the refusals are clear; another user's private job reads as absent and the child
// of a private job is private.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCommand, parseTextCommand, runCommand } from '../../commands/index.ts';
import { commandLineOf, splitShellWords } from '../../commands/command-line.ts';
import type { CommandReply } from '../../commands/types.ts';
import { MODELS_DIR, runCli, tempDir } from '../cli/helpers.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { resultInput, submitOnResult } from '../../src/engine/result-input.ts';
import { gridCell } from '../../src/imaging/index.ts';
import { waitForJob, type JobOwner } from '../../src/jobs/api.ts';
import { testConfig, testPng } from './helpers.ts';

const alice: JobOwner = { platform: 'discord', userId: 'alice', channelRef: 'c1' };
const bob: JobOwner = { platform: 'discord', userId: 'bob', channelRef: 'c1' };
let engine: LocalEngine;

beforeAll(async () => {
  engine = createEngine(testConfig({ USER_MAX_PENDING: '4' }), { defaultMetrics: false });
  await engine.start();
});
afterAll(async () => engine?.close());

async function done(jobId: string): Promise<string> {
  const end = await waitForJob(engine, jobId);
  if (end.type !== 'done') throw new Error(JSON.stringify(end));
  return jobId;
}

async function finished(spec: object, who: JobOwner): Promise<string> {
  const r = await engine.submit({ steps: 4, seed: 1, ...spec }, who);
  if (!r.ok) throw new Error(r.message);
  return done(r.jobId);
}

/** The raw result of `jobId` (model size; a grid for several candidates) as RGB. */
async function raw(jobId: string): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  const files = await engine.resultFiles(jobId);
  if (!files.ok) throw new Error(files.message);
  const { data, info } = await sharp(files.files.rawPng).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(data) };
}

/** Mean absolute difference of two RGB pictures of one size over the columns [x0, x1). */
function diff(a: { width: number; height: number; rgb: Uint8Array }, b: typeof a, x0 = 0, x1 = a.width): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let sum = 0;
  let n = 0;
  for (let y = 0; y < a.height; y++)
    for (let x = x0; x < x1; x++)
      for (let c = 0; c < 3; c++) {
        const i = (y * a.width + x) * 3 + c;
        sum += Math.abs(a.rgb[i] - b.rgb[i]);
        n++;
      }
  return sum / n;
}

function command(name: string, options: Record<string, string | number>, who: JobOwner): Promise<CommandReply> {
  return runCommand(getCommand(name)!, {
    engine,
    owner: who,
    actor: { userId: who.userId, isAdmin: false, platform: who.platform },
    options,
  });
}

describe('a result as the input of /sketch and /inpaint', () => {
  let grid = '';
  beforeAll(async () => {
    grid = await finished({ technique: 'imagine', prompt: 'rocket', count: 2 }, alice);
  });

  it('sketches from candidate n as it is: the spec references it, the job names its parent', async () => {
    const r = await submitOnResult(engine, grid, 2, { technique: 'sketch', prompt: 'rocket', steps: 8, noiseLevel: 7, seed: 5 }, alice);
    expect(r).toMatchObject({
      ok: true,
      spec: { technique: 'sketch', source: { parent: grid, candidate: 2, count: 2, action: 'input' }, from: { jobId: grid, action: 'image 2 as input' } },
    });
    if (!r.ok) return;
    expect(r.spec.image).toBeUndefined();
    await done(r.jobId);
    expect((await engine.get(r.jobId))?.parentId).toBe(grid);
    // Started close to the end of the schedule, the picture stays that candidate's, not the other one's.
    const parent = await raw(grid);
    const child = await raw(r.jobId);
    const two = gridCell(parent, 2, 1);
    const one = gridCell(parent, 2, 0);
    expect(diff(child, two)).toBeLessThan(diff(child, one) / 2);
  });

  it("inpaints candidate n with the user's own mask: the kept half stays the candidate's", async () => {
    // Mask: the left half white (repaint), the right half black (keep).
    const w = 64;
    const px = Buffer.alloc(w * w * 3);
    for (let y = 0; y < w; y++) for (let x = 0; x < w / 2; x++) px.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const mask = await engine.storeUpload(await sharp(px, { raw: { width: w, height: w, channels: 3 } }).png().toBuffer(), alice);
    if (!mask.ok) throw new Error(mask.message);
    const reply = await command('inpaint', { job: grid, candidate: 1, prompt: 'a cat', mask: mask.ref, steps: 4, seed: 9 }, alice);
    expect(reply).toMatchObject({ kind: 'job', spec: { technique: 'inpaint', mask: mask.ref, source: { parent: grid, candidate: 1, action: 'input' } } });
    if (reply.kind !== 'job') return;
    await done(reply.jobId);
    expect((await engine.get(reply.jobId))?.parentId).toBe(grid);
    const parent = await raw(grid);
    const child = await raw(reply.jobId);
    const one = gridCell(parent, 2, 0);
    const two = gridCell(parent, 2, 1);
    const keptOne = diff(child, one, w / 2, w);
    expect(keptOne).toBeLessThan(diff(child, two, w / 2, w) / 2);
    expect(keptOne).toBeLessThan(diff(child, one, 0, w / 2));

    // /info's diffuse line (the parent's raw.png, --follow-up input, the mask) draws the same PNG.
    const rec = (await engine.get(reply.jobId))!;
    const line = commandLineOf(rec.result!.spec, rec.result!.model);
    expect(line).toContain(`--follow-up input --candidate 1/2`);
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'again.png');
      const words = splitShellWords(line, { DATA_DIR: engine.config.dataDir });
      const run = await runCli([...words.slice(1), '-o', out], dir, {
        MODELS_DIR,
        DISPLAY_SIZE: String(engine.config.displaySize),
        GIF_SIZE: String(engine.config.gifSize),
      });
      expect(run.code, run.stderr).toBe(0);
      expect(readFileSync(out).equals(readFileSync(rec.result!.files.png))).toBe(true);
    } finally {
      cleanup();
    }
  }, 120_000);

  it('parses the text syntax: --job and --candidate stand in for the attached image', () => {
    const p = parseTextCommand('/inpaint --job abc123 --candidate 2 a red balloon');
    expect(p).toMatchObject({ ok: true, options: { job: 'abc123', candidate: 2, prompt: 'a red balloon' }, missingImages: [] });
    expect(parseTextCommand('/sketch a castle')).toMatchObject({ ok: true, missingImages: ['image'] });
    // The job id is one word: the prompt may follow it.
    expect(parseTextCommand('/sketch job:abc123 a castle --noise_level 5')).toMatchObject({
      ok: true,
      options: { job: 'abc123', prompt: 'a castle', noise_level: 5 },
      missingImages: [],
    });
    expect(parseTextCommand('/inpaint --job abc123 a red balloon')).toMatchObject({ ok: true, options: { job: 'abc123', prompt: 'a red balloon' } });
    // /info's job is its one text option, given as plain text.
    expect(parseTextCommand('/info abc123')).toMatchObject({ ok: true, options: { job: 'abc123' } });
  });

  it('refuses both an image and a job, an unknown job, a missing candidate, a strip, an inpaint without a mask, a cancelled job, and a picture no longer stored', async () => {
    const up = await engine.storeUpload(await testPng(64, 64), alice);
    if (!up.ok) throw new Error(up.message);
    expect(await command('sketch', { image: up.ref, job: grid }, alice)).toMatchObject({
      kind: 'refusal',
      message: 'Give either an image or a job to start from, not both.',
    });
    expect(await command('sketch', { prompt: 'x' }, alice)).toMatchObject({
      kind: 'refusal',
      message: expect.stringMatching(/needs an image: attach one, or give job:<id>/),
    });
    expect(await command('sketch', { job: 'zzzzzzzzzz' }, alice)).toMatchObject({ kind: 'refusal', message: "I can't find job zzzzzzzzzz." });
    expect(await command('sketch', { job: grid, candidate: 3 }, alice)).toMatchObject({
      kind: 'refusal',
      message: `Job ${grid} has no image 3: its candidates are 1 to 2.`,
    });
    const strip = await finished({ technique: 'noise', image: up.ref }, alice);
    expect(await command('sketch', { job: strip }, alice)).toMatchObject({ kind: 'refusal', message: expect.stringMatching(/strip, not a picture/) });
    expect(await command('inpaint', { job: grid, prompt: 'a cat' }, alice)).toMatchObject({
      kind: 'refusal',
      message: expect.stringMatching(/needs a mask/),
    });
    const stopped = await engine.submit({ technique: 'imagine', prompt: 'rocket', steps: 50 }, alice);
    if (!stopped.ok) throw new Error(stopped.message);
    await engine.cancel(stopped.jobId, { userId: 'alice', isAdmin: false, platform: 'discord' });
    expect((await waitForJob(engine, stopped.jobId)).type).toBe('cancelled');
    expect(await command('sketch', { job: stopped.jobId }, alice)).toMatchObject({
      kind: 'refusal',
      message: `Job ${stopped.jobId} was cancelled, so it has no picture to start from.`,
    });
    const gone = await finished({ technique: 'imagine', prompt: 'rocket' }, alice);
    const files = await engine.resultFiles(gone);
    if (!files.ok) throw new Error(files.message);
    rmSync(files.files.png);
    expect(await command('sketch', { job: gone }, alice)).toMatchObject({
      kind: 'refusal',
      message: `The picture of job ${gone} is no longer stored; attach the image instead.`,
    });
  });

  it("reads another user's private job as absent, and makes the child of a private job private", async () => {
    const secret = await finished({ technique: 'imagine', prompt: 'a secret cat' }, { ...alice, private: true });
    expect(await resultInput(engine, secret, 1, bob)).toMatchObject({ ok: false, code: 'not_found', message: `I can't find job ${secret}.` });
    expect(await command('sketch', { job: secret }, bob)).toMatchObject({ kind: 'refusal', message: `I can't find job ${secret}.` });
    // Even a spec written by hand that names it is refused as if it did not exist.
    expect(
      await engine.submit({ technique: 'sketch', source: { parent: secret, candidate: 1, count: 1, action: 'input' } }, bob),
    ).toMatchObject({ ok: false, code: 'not_found' });
    const mine = await command('sketch', { job: secret, steps: 2 }, alice);
    expect(mine).toMatchObject({ kind: 'job', private: true });
    if (mine.kind !== 'job') return;
    expect((await engine.get(mine.jobId))?.owner.private).toBe(true);
    await done(mine.jobId);
    // A public job is anyone's to start from.
    const theirs = await command('sketch', { job: grid, steps: 2 }, bob);
    expect(theirs).toMatchObject({ kind: 'job', spec: { source: { parent: grid } } });
    if (theirs.kind === 'job') await done(theirs.jobId);
  });
});
