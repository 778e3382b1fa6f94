// Candidates and follow-ups through the playground's JSON API on a real engine (models/test-tiny):
// a 4-candidate /imagine makes one grid with one batched UNet call per step; U2 starts from
// candidate 2 (exactly the picture of the 1-candidate job of seed + 1); V3 from candidate 3; zoom
// out and pan keep the original pixels exactly; the buttons of an old job work after a restart.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import {
  decodeImage,
  extendCanvas,
  gridCell,
  resizeImage,
  type CanvasMove,
  type RgbImage,
} from '../../src/imaging/index.ts';
import { Client, playgroundConfig, readEvents } from './helpers.ts';

let config: Config;
let engine: LocalEngine;
let pg: Playground;
let alice: Client;

interface Done {
  jobId: string;
  spec: Record<string, unknown> & { image?: string; mask?: string; source?: unknown; seed: number };
  caption: string;
  timings: { unetCalls: number; unetEvaluations: number };
  actions: { id: string; label: string; url: string }[][];
}

async function start(): Promise<void> {
  engine = createEngine(config, { defaultMetrics: false });
  await engine.start();
  pg = await startPlayground(config, engine);
  alice = new Client(pg.url);
}

beforeAll(async () => {
  config = playgroundConfig({ USER_MAX_PENDING: '4' });
  await start();
});

afterAll(async () => {
  await pg?.stop();
  await engine?.close();
  if (config) rmSync(config.dataDir, { recursive: true, force: true });
});

/** Waits for a job accepted with 202 and returns its finished view. */
async function finish(res: Response): Promise<Done> {
  const job = (await res.json()) as { jobId: string; error?: string };
  expect(res.status, job.error).toBe(202);
  const events = await readEvents(await alice.fetch(`/api/jobs/${job.jobId}/events`));
  expect(events.at(-1)!.event).toBe('done');
  return events.at(-1)!.data.job as Done;
}

const imagine = async (options: Record<string, unknown>) =>
  finish(await alice.postJson('/api/jobs', { command: 'imagine', options: { prompt: 'a rocket', steps: 3, ...options } }));
const press = async (job: Done, label: string) => {
  const b = job.actions.flat().find((a) => a.label === label);
  expect(b, `button ${label}`).toBeDefined();
  return finish(await alice.fetch(b!.url, { method: 'POST' }));
};
const raw = async (jobId: string): Promise<RgbImage> =>
  decodeImage(Buffer.from(await (await alice.fetch(`/api/jobs/${jobId}/raw.png`)).arrayBuffer()));
/** The canvas a zoom-out or pan starts from: the parent's picture at the model's 64 px, moved. */
const canvasOf = async (jobId: string, move: CanvasMove): Promise<RgbImage> =>
  (await extendCanvas(await resizeImage(await raw(jobId), 64, 64), move)).image;

describe('candidates and follow-ups in the playground', () => {
  let grid: Done;
  let u2: Done;

  it('a 4-candidate imagine makes one 2x2 grid, batching the UNet 8 rows a step, seeds in the caption', async () => {
    grid = await finish(await alice.postJson('/api/jobs', { text: '/imagine a rocket --count 4 --seed 50 --steps 3' }));
    expect(grid.spec).toMatchObject({ count: 4, seed: 50 });
    expect(grid.timings).toMatchObject({ unetCalls: 3, unetEvaluations: 24 });
    expect(grid.caption).toContain('4 candidates, seeds 50, 51, 52, 53');
    const g = await raw(grid.jobId);
    expect([g.width, g.height]).toEqual([128, 128]);
    expect(grid.actions.map((r) => r.map((b) => b.label))).toEqual([
      ['U1', 'U2', 'U3', 'U4'],
      ['V1', 'V2', 'V3', 'V4'],
    ]);
    expect(grid.actions[0][1].id).toBe(`act:${grid.jobId}:u:2`);
  });

  it('U2 starts from exactly the picture of the 1-candidate job of seed 51 and names its parent', async () => {
    u2 = await press(grid, 'U2');
    expect(u2.spec).toMatchObject({ technique: 'sketch', seed: 51, from: { jobId: grid.jobId, action: 'U2' } });
    expect(u2.caption).toContain(`U2 of job ${grid.jobId}`);
    // Its input is candidate 2 of the grid, read by the inference process (no new upload); that
    // candidate is exactly the picture of the 1-candidate job of seed 51.
    expect(u2.spec.source).toEqual({ parent: grid.jobId, candidate: 2, count: 4, action: 'u' });
    expect(u2.spec.image).toBeUndefined();
    const single = await imagine({ seed: 51 });
    const [g, alone] = await Promise.all([raw(grid.jobId), raw(single.jobId)]);
    expect(Buffer.compare(gridCell(g, 4, 1).rgb, alone.rgb)).toBe(0);
    // The upscale: 2x, then a low-noise pass (only the last of the 3 steps, from noise level 2) over
    // 3x3 windows of 64 px with CFG: 18 UNet rows in one call.
    expect(u2.spec).toMatchObject({ noiseLevel: 2, upscale: true });
    expect(u2.timings).toMatchObject({ unetCalls: 1, unetEvaluations: 18 });
    const big = await raw(u2.jobId);
    expect([big.width, big.height]).toEqual([128, 128]);
  });

  it('V3 starts from candidate 3 with a new seed', async () => {
    const v3 = await press(grid, 'V3');
    expect(v3.spec).toMatchObject({ technique: 'sketch', from: { action: 'V3 strong' } });
    expect([50, 51, 52, 53]).not.toContain(v3.spec.seed);
    expect(v3.spec.source).toEqual({ parent: grid.jobId, candidate: 3, count: 4, action: 'vt' });
  });

  it('zoom out 2x keeps the shrunk original exactly in the centre; pan left keeps it exactly, shifted', async () => {
    // An upscale offers no second Upscale (it would not grow it).
    expect(u2.actions.flat().map((b) => b.label)).toEqual(expect.arrayContaining(['Vary (subtle)', 'Zoom out 2x', 'Pan left']));
    expect(u2.actions.flat().map((b) => b.label)).not.toContain('Upscale');
    const zoom = await press(u2, 'Zoom out 2x');
    expect(zoom.spec).toMatchObject({ technique: 'inpaint', prompt: 'a rocket', from: { action: 'zoom out 2x' } });
    expect(zoom.spec.source).toEqual({ parent: u2.jobId, candidate: 1, count: 1, action: 'zo2' });
    const [canvas, out] = await Promise.all([canvasOf(u2.jobId, { zoom: 2 }), raw(zoom.jobId)]);
    const region = (img: RgbImage, x0: number, y0: number, w: number, h: number) => {
      const rows: number[] = [];
      for (let y = y0; y < y0 + h; y++) rows.push(...img.rgb.subarray((y * img.width + x0) * 3, (y * img.width + x0 + w) * 3));
      return rows;
    };
    expect(region(out, 16, 16, 32, 32)).toEqual(region(canvas, 16, 16, 32, 32));
    expect(region(out, 0, 0, 64, 16)).not.toEqual(region(canvas, 0, 0, 64, 16)); // the border is new
    // Pan left: the (upscaled, so first brought back to 64 px) picture shifted right by 16 px, kept exactly.
    const pan = await press(u2, 'Pan left');
    const [shifted, panned] = await Promise.all([canvasOf(u2.jobId, { pan: 'left' }), raw(pan.jobId)]);
    expect(region(panned, 16, 0, 48, 64)).toEqual(region(shifted, 16, 0, 48, 64));
    expect(region(panned, 0, 0, 16, 64)).not.toEqual(region(shifted, 0, 0, 16, 64));
  });

  it('the buttons of a job made before a restart still work', async () => {
    await pg.stop();
    await engine.close();
    await start();
    const again = await press(grid, 'U4');
    expect(again.spec).toMatchObject({ seed: 53, from: { jobId: grid.jobId, action: 'U4' } });
    // Reroll through the same stateless route (the page shows it as its new-seed button).
    const reroll = await finish(await alice.fetch(`/api/jobs/${grid.jobId}/actions/re/1`, { method: 'POST' }));
    expect(reroll.spec).toMatchObject({ count: 4, from: { action: 'reroll' } });
    const bad = await alice.fetch(`/api/jobs/${grid.jobId}/actions/u/4`.replace('/u/', '/zz/'), { method: 'POST' });
    expect(bad.status).toBe(404);
  });
});
