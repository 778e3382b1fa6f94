// The tiny SDXL-layout model (models/tiny-sdxl) end to end: every technique through the CLI, the engine
// and the playground's chat API; and determinism across the three doors: for the same seed, tiny-sdxl
// and the SD tiny models give the same PNG bytes from the CLI, from the engine and from the playground.
// (Spawns dist/: run `node scripts/build.mjs` first when running this file alone.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/imaging/index.ts';
import { waitForJob, type JobOwner } from '../../src/jobs/api.ts';
import { runCli, tempDir, writeMaskPng, writeTestPng } from '../cli/helpers.ts';
import { Client, readEvents, samplePng, usePlayground } from '../playground/helpers.ts';

const owner: JobOwner = { platform: 'playground', userId: 'u-sdxl' };

let dir: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir('diffuse-sdxl-e2e-'));
  await writeTestPng(join(dir, 'photo.png'), 80, 60);
  await writeTestPng(join(dir, 'hole.png'), 80, 60, { x0: 30, y0: 20, x1: 50, y1: 40 });
  await writeMaskPng(join(dir, 'mask.png'), 80, 60, 40);
});
afterAll(() => cleanup());

const CLI_RUNS: [string, string[]][] = [
  ['imagine', ['imagine', 'a photo of a cat', '--steps', '4']],
  ['sketch', ['sketch', 'photo.png', 'a cat', '--steps', '6', '--noise-level', '2']],
  ['inpaint (transparent hole)', ['inpaint', 'hole.png', 'a cat', '--steps', '4']],
  ['inpaint (mask)', ['inpaint', 'photo.png', 'a cat', '--mask', 'mask.png', '--steps', '4']],
  ['anagram', ['anagram', 'a cat', 'a dog', '--steps', '4', '--view', 'rotate180']],
  ['hybrid', ['hybrid', 'a cat', 'a dog', '--steps', '4']],
  ['noise', ['noise', 'photo.png', '--t', '250,750']],
  ['denoise', ['denoise', 'photo.png', '--t', '500', '--steps', '8']],
];

describe('tiny-sdxl through the CLI', () => {
  it.each(CLI_RUNS)('%s exits 0 and writes a PNG', async (label, args) => {
    const out = `sdxl-${label.replace(/\W+/g, '-')}.png`;
    const r = await runCli([...args, '--model', 'tiny-sdxl', '--seed', '3', '-o', out, '--json'], dir);
    expect(r.stderr).not.toMatch(/^diffuse:/m);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { model: string; outputs: { png: string } };
    expect(j.model).toBe('tiny-sdxl');
    const img = await decodeImage(readFileSync(j.outputs.png));
    expect(img.width).toBeGreaterThanOrEqual(64);
  });

  it('runs the model defaults (20 euler steps at guidance 5) with a negative prompt', async () => {
    const r = await runCli(['imagine', 'a cat', '--negative', 'blurry', '--model', 'tiny-sdxl', '--seed', '4', '-o', 'neg.png', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ steps: 20, guidance: 5, sampler: 'euler' });
  });
});

/** PNG bytes of one imagine through the CLI. */
async function cliPng(model: string, prompt: string, seed: number): Promise<Buffer> {
  const out = `same-${model}-${seed}.png`;
  // the playground's display size (DISPLAY_SIZE 128 in its test config), so both write the same picture
  const r = await runCli(['imagine', prompt, '--model', model, '--seed', String(seed), '--steps', '4', '-o', out, '--json'], dir, {
    DISPLAY_SIZE: '128',
  });
  expect(r.code, r.stderr).toBe(0);
  return readFileSync((JSON.parse(r.stdout) as { outputs: { png: string } }).outputs.png);
}

describe.each(['tiny-sdxl', 'tiny-sd', 'tiny-sd-fp16'])('%s through the engine and the playground', (model) => {
  const env = usePlayground({ MODEL: model, USER_MAX_PENDING: '16' });
  let alice: Client;
  beforeAll(() => {
    alice = new Client(env.pg.url);
  });

  async function enginePng(input: Record<string, unknown>): Promise<Buffer> {
    const r = await env.engine.submit(input, owner);
    if (!r.ok) throw new Error(r.message);
    const end = await waitForJob(env.engine, r.jobId);
    if (end.type !== 'done') throw new Error(`job ended ${end.type}: ${JSON.stringify(end)}`);
    return readFileSync(end.result.files.png);
  }

  async function playgroundPng(options: Record<string, unknown>, command = 'imagine'): Promise<Buffer> {
    const res = await alice.postJson('/api/jobs', { command, options });
    const job = (await res.json()) as { jobId: string; error?: string };
    expect(res.status, job.error).toBe(202);
    const events = await readEvents(await alice.fetch(`/api/jobs/${job.jobId}/events`));
    expect(events.at(-1)!.event, JSON.stringify(events.at(-1))).toBe('done');
    const png = await alice.fetch(`/api/jobs/${job.jobId}/image.png`);
    expect(png.status).toBe(200);
    return Buffer.from(await png.arrayBuffer());
  }

  it('the same seed gives the same PNG bytes from the CLI, the engine and the playground', async () => {
    const viaEngine = await enginePng({ technique: 'imagine', prompt: 'a red apple', seed: 11, steps: 4 });
    const viaPlayground = await playgroundPng({ prompt: 'a red apple', seed: 11, steps: 4 });
    const viaCli = await cliPng(model, 'a red apple', 11);
    expect(viaPlayground.equals(viaEngine)).toBe(true);
    expect(viaCli.equals(viaEngine)).toBe(true);
    const other = await enginePng({ technique: 'imagine', prompt: 'a red apple', seed: 12, steps: 4 });
    expect(other.equals(viaEngine)).toBe(false);
  });

  // every technique on the SDXL model only (the SD tiny models run them in cli.test.ts and load.test.ts)
  if (model !== 'tiny-sdxl') return;

  it('runs every technique through the engine', async () => {
    const up = await env.engine.storeUpload(await samplePng(64, 64), owner);
    if (!up.ok) throw new Error(up.message);
    const holed = await env.engine.storeUpload(readFileSync(join(dir, 'hole.png')), owner);
    if (!holed.ok) throw new Error(holed.message);
    const mask = await env.engine.storeUpload(readFileSync(join(dir, 'mask.png')), owner);
    if (!mask.ok) throw new Error(mask.message);
    const jobs: Record<string, unknown>[] = [
      { technique: 'imagine', prompt: 'a cat', steps: 4 },
      { technique: 'sketch', image: up.ref, prompt: 'a rocket', noiseLevel: 5, steps: 6 },
      { technique: 'inpaint', image: holed.ref, prompt: 'a cat', steps: 4 },
      { technique: 'inpaint', image: up.ref, mask: mask.ref, prompt: 'a cat', steps: 4 },
      { technique: 'anagram', prompt: 'a cat', prompt2: 'a dog', view: 'rotate180', steps: 4 },
      { technique: 'hybrid', prompt: 'a cat', prompt2: 'a dog', steps: 4 },
      { technique: 'noise', image: up.ref, t: [250, 750] },
      { technique: 'denoise', image: up.ref, t: [500], steps: 8 },
    ];
    for (const job of jobs) {
      const png = await enginePng({ seed: 3, ...job });
      const img = await decodeImage(png);
      expect(img.format, String(job.technique)).toBe('png');
    }
  });

  it('runs every technique through the playground chat API', async () => {
    const sample = `data:image/png;base64,${(await samplePng(64, 64)).toString('base64')}`;
    const holed = `data:image/png;base64,${readFileSync(join(dir, 'hole.png')).toString('base64')}`;
    const runs: [string, Record<string, unknown>][] = [
      ['imagine', { prompt: 'a cat', steps: 4 }],
      ['sketch', { image: sample, prompt: 'a rocket', noise_level: 5, steps: 6 }],
      ['inpaint', { image: holed, prompt: 'a cat', steps: 4 }],
      ['anagram', { prompt_upright: 'a cat', prompt_flipped: 'a dog', steps: 4 }],
      ['hybrid', { prompt_far: 'a cat', prompt_near: 'a dog', steps: 4 }],
      ['noise', { image: sample }],
      ['denoise', { image: sample, steps: 8 }],
    ];
    for (const [command, options] of runs) {
      const png = await playgroundPng({ seed: 3, ...options }, command);
      expect((await decodeImage(png)).format, command).toBe('png');
    }
  });
});
