// /settings, content rules and /info through the playground API (tiny model): a session's
// settings change its next job, a banned word (CONTENT_RULES) is refused with 403 content_rule
// on /imagine and on a regeneration, and /info names the reproducing command line.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import { CONTENT_REFUSAL } from '../../src/engine/content-rules.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { Client, playgroundConfig, readEvents } from './helpers.ts';

let engine: LocalEngine;
let pg: Playground;

beforeAll(async () => {
  const config = playgroundConfig({ CONTENT_RULES: 'zorblax', MAX_STEPS: '20' });
  engine = createEngine(config, { defaultMetrics: false });
  await engine.start();
  pg = await startPlayground(config, engine);
});

afterAll(async () => {
  await pg?.stop();
  await engine?.close();
});

async function command(client: Client, name: string, options: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await client.postJson('/api/jobs', { command: name, options });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

it("a session's settings change its next job; another session keeps the defaults", async () => {
  const a = new Client(pg.url);
  const set = await command(a, 'settings', { steps: 2, sampler: 'ddim' });
  expect(set.status).toBe(200);
  expect(JSON.stringify(set.body)).toContain('Saved. Your settings are updated.');
  const job = await command(a, 'imagine', { prompt: 'a ship', seed: 1 });
  expect(job.status).toBe(202);
  expect(job.body.spec).toMatchObject({ steps: 2, sampler: 'ddim' });
  const b = new Client(pg.url);
  const other = await command(b, 'imagine', { prompt: 'a ship', seed: 1, steps: 1 });
  expect(other.body.spec).toMatchObject({ steps: 1 });
  expect((other.body.spec as Record<string, unknown>).sampler).toBeUndefined();
  await readEvents(await a.fetch(`/api/jobs/${String(job.body.jobId)}/events`));
  await readEvents(await b.fetch(`/api/jobs/${String(other.body.jobId)}/events`));
});

it('a banned word is refused on /imagine and on a regeneration of a job whose prompt it matches; /info prints the command line', async () => {
  const c = new Client(pg.url);
  const refused = await command(c, 'imagine', { prompt: 'a ZORBLAX', negative: 'blur' });
  expect(refused).toEqual({ status: 403, body: { error: CONTENT_REFUSAL, code: 'content_rule' } });

  const ok = await command(c, 'imagine', { prompt: 'a red moon', seed: 7, steps: 1 });
  expect(ok.status).toBe(202);
  const id = String(ok.body.jobId);
  await readEvents(await c.fetch(`/api/jobs/${id}/events`));
  const info = await command(c, 'info', { job: id });
  expect(JSON.stringify(info.body)).toContain(`diffuse imagine --seed 7 --steps 1 --cfg 7 --sampler ddpm --model test-tiny 'a red moon'`);

  // A follow-up (U1 of that result) names its parent in /info's lineage.
  const up = await c.fetch(`/api/jobs/${id}/actions/u/1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(up.status).toBe(202);
  const child = String(((await up.json()) as { jobId: string }).jobId);
  await readEvents(await c.fetch(`/api/jobs/${child}/events`));
  const childInfo = JSON.stringify((await command(c, 'info', { job: child })).body);
  expect(childInfo).toContain(`Lineage: U1 of \`${id}\``);

  // The playground's server-wide list (kept in the settings store) now bans "moon": the 🔁 of that job is refused.
  engine.settings.update('server', 'playground', 'playground', { banned: ['moon'] });
  const again = await c.fetch(`/api/jobs/${id}/regenerate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(again.status).toBe(403);
  expect(await again.json()).toEqual({ error: CONTENT_REFUSAL, code: 'content_rule' });
});

it('MAX_STEPS: /settings refuses more steps than the bot runs, and a job refused by a saved setting says so', async () => {
  const a = new Client(pg.url);
  const over = await command(a, 'settings', { steps: 50 });
  expect(over).toMatchObject({ status: 400, body: { error: expect.stringContaining('this bot runs at most 20 steps (its MAX_STEPS setting)') } });
  // A setting saved before the limit came down: the refusal names it.
  const session = a.cookies.get('diffuse_session')!.split('.')[0]; // the session id, its jobs' owner
  engine.settings!.update('user', 'playground', session, { steps: 50 });
  const job = await command(a, 'imagine', { prompt: 'a ship' });
  expect(job.status).toBe(422);
  expect(String(job.body.error)).toBe('Steps must be at most 20. (steps 50 comes from your /settings: change it with /settings steps:…, or /settings clear:steps.)');
});
