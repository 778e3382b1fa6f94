// The whole follow-up chain in the playground, as a person clicks it (JSON API, real engine on the
// tiny model): /imagine with 4 candidates → U2 → Vary (subtle) → Zoom out 2x → /info on the last
// job. Each job names its parent, /info's lineage lists the chain, and its `diffuse ...` line,
// run through the real CLI on the same DATA_DIR, writes the same PNG bytes as the last job.
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { splitShellWords } from '../../commands/command-line.ts';
import type { Config } from '../../src/config.ts';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { MODELS_DIR, runCli, tempDir } from '../cli/helpers.ts';
import { Client, playgroundConfig, readEvents } from './helpers.ts';

let config: Config;
let engine: LocalEngine;
let pg: Playground;
let alice: Client;

interface Done {
  jobId: string;
  spec: Record<string, unknown>;
  caption: string;
  actions: { label: string; url: string }[][];
}

beforeAll(async () => {
  config = playgroundConfig();
  engine = createEngine(config, { defaultMetrics: false });
  await engine.start();
  pg = await startPlayground(config, engine);
  alice = new Client(pg.url);
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

/** Presses the button labelled `label` on a finished job, as the page does. */
async function press(job: Done, label: string): Promise<Done> {
  const b = job.actions.flat().find((a) => a.label === label);
  expect(b, `button ${label} of ${job.jobId}`).toBeDefined();
  return finish(await alice.fetch(b!.url, { method: 'POST' }));
}

/** Four jobs one after another (and a CLI run): room beyond the 60 s default on a loaded 2-core machine. */
const CHAIN_TIMEOUT_MS = 180_000;

it('/imagine (4) → U2 → V (subtle) → zoom out 2x → /info gives the line that redraws the last result', async () => {
  const grid = await finish(await alice.postJson('/api/jobs', { text: '/imagine a lighthouse --count 4 --seed 5 --steps 3' }));
  expect(grid.spec).toMatchObject({ count: 4, seed: 5 });

  const u2 = await press(grid, 'U2');
  expect(u2.spec).toMatchObject({ technique: 'sketch', upscale: true, from: { jobId: grid.jobId, action: 'U2' } });
  expect(u2.caption).toContain(`U2 of job ${grid.jobId}`);

  const vary = await press(u2, 'Vary (subtle)');
  expect(vary.spec).toMatchObject({ technique: 'sketch', from: { jobId: u2.jobId, action: 'V1 subtle' } });
  expect(vary.caption).toContain(`of job ${u2.jobId}`);

  const zoom = await press(vary, 'Zoom out 2x');
  expect(zoom.spec).toMatchObject({ technique: 'inpaint', prompt: 'a lighthouse', from: { jobId: vary.jobId, action: 'zoom out 2x' } });
  expect(zoom.caption).toContain(`of job ${vary.jobId}`);

  const res = await alice.postJson('/api/jobs', { command: 'info', options: { job: zoom.jobId } });
  expect(res.status).toBe(200);
  const { reply } = (await res.json()) as { reply: { kind: string; text: string } };
  expect(reply.kind).toBe('text');
  const info = reply.text;
  expect(info).toContain(`Job \`${zoom.jobId}\`: inpaint, done`);
  expect(info).toContain(`Lineage: zoom out 2x of \`${vary.jobId}\` ← V1 subtle of \`${u2.jobId}\` ← U2 of \`${grid.jobId}\``);
  const line = /```\n(diffuse .+)\n```/.exec(info)?.[1];
  expect(line, info).toMatch(/^diffuse inpaint /);

  const { dir, cleanup } = tempDir();
  try {
    const out = path.join(dir, 'again.png');
    const words = splitShellWords(line!, { DATA_DIR: config.dataDir });
    const run = await runCli([...words.slice(1), '-o', out], dir, {
      MODELS_DIR,
      DISPLAY_SIZE: String(config.displaySize),
      GIF_SIZE: String(config.gifSize),
    });
    expect(run.code, run.stderr).toBe(0);
    const last = await engine.get(zoom.jobId);
    expect(readFileSync(out).equals(readFileSync(last!.result!.files.png))).toBe(true);
  } finally {
    cleanup();
  }
}, CHAIN_TIMEOUT_MS);
