// Model defaults through the playground API: an /imagine without cfg on the emoji model runs at
// the model's guidance (3, from its manifest), and the page's caption and result say so.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { Client, playgroundConfig, readEvents } from './helpers.ts';

let engine: LocalEngine;
let pg: Playground;

beforeAll(async () => {
  const config = playgroundConfig({ MODEL: 'emoji' });
  engine = createEngine(config, { defaultMetrics: false });
  await engine.start();
  pg = await startPlayground(config, engine);
});

afterAll(async () => {
  await pg?.stop();
  await engine?.close();
});

it('an /imagine without cfg runs at the emoji model default guidance 3', async () => {
  const client = new Client(pg.url);
  const res = await client.postJson('/api/jobs', { command: 'imagine', options: { prompt: 'a red heart', seed: 4, steps: 2 } });
  expect(res.status).toBe(202);
  const job = (await res.json()) as { jobId: string; spec: Record<string, unknown> };
  expect(job.spec).not.toHaveProperty('guidance');
  const events = await readEvents(await client.fetch(`/api/jobs/${job.jobId}/events`));
  const done = events.at(-1)!;
  expect(done.event).toBe('done');
  const view = done.data.job as { caption: string; result: { guidance: number; steps: number }; command: string };
  expect(view.result).toMatchObject({ guidance: 3, steps: 2 });
  expect(view.caption).toContain('seed 4 · 2 steps · guidance 3 · emoji');
  expect(view.command).toBe('/imagine a red heart --seed 4 --steps 2');
});
