// Every refusal of the playground's JSON API carries a `code` that docs/api.md lists for its
// status: the test walks the refusal paths (body, command, options, images, engine, access,
// routes, limits, shutdown) against a real engine and checks each answer against the table.
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { faultyWorker } from '../engine/fixtures/faulty-worker.ts';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import { Client, ROOT, dataUrl, playgroundConfig, samplePng } from './helpers.ts';

/** Status -> the codes docs/api.md's error table lists for it. */
function documentedCodes(): Map<number, Set<string>> {
  const doc = readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8');
  const out = new Map<number, Set<string>>();
  for (const line of doc.split('\n')) {
    const m = /^\|\s*(\d{3})\s*\|.*\|([^|]*)\|\s*$/.exec(line);
    if (!m) continue;
    out.set(Number(m[1]), new Set([...m[2].matchAll(/`([a-z_]+)`/g)].map((x) => x[1])));
  }
  return out;
}

const DOCUMENTED = documentedCodes();
const BODY_LIMIT = 256 * 1024;

let config: Config;
let engine: LocalEngine;
let pg: Playground;
let guarded: Playground;
const seen: { name: string; status: number; code: unknown }[] = [];

/** Records a refusal after checking its shape: JSON with a message and a code documented for its status. */
async function refused(name: string, res: Response | Promise<Response>, status: number): Promise<string> {
  const r = await res;
  const body = (await r.json()) as { error?: unknown; code?: unknown };
  seen.push({ name, status: r.status, code: body.code });
  expect(r.status, `${name}: ${String(body.error)}`).toBe(status);
  expect(typeof body.error, name).toBe('string');
  expect(DOCUMENTED.get(status), `${name}: status ${status} is not in docs/api.md`).toBeDefined();
  expect([...DOCUMENTED.get(status)!], `${name}: code ${String(body.code)}`).toContain(body.code);
  return body.code as string;
}

/** A request with headers fetch will not send (Host), answered as a Response. */
function raw(p: string, headers: Record<string, string>, method = 'GET'): Promise<Response> {
  const u = new URL(p, pg.url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname: u.hostname, port: u.port, path: u.pathname, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(new Response(body, { status: res.statusCode ?? 0 })));
    });
    req.on('error', reject);
    req.end();
  });
}

function post(c: Client, p: string, body: string, type = 'application/json'): Promise<Response> {
  return c.fetch(p, { method: 'POST', headers: { 'content-type': type }, body });
}

beforeAll(async () => {
  config = playgroundConfig({
    MAX_STEPS: '20',
    USER_MAX_PENDING: '1',
    QUEUE_MAX: '2',
    UPLOAD_MAX_PIXELS: '10000',
  });
  engine = createEngine(config, {
    defaultMetrics: false,
    abortGraceMs: 100,
    worker: faultyWorker({ stall: { word: 'stall', atStep: 1 } }),
  });
  await engine.start();
  pg = await startPlayground(config, engine, { maxBodyBytes: BODY_LIMIT, historyFile: null });
  guarded = await startPlayground(config, engine, { token: 'sesame-open-sesame', historyFile: null });
});

afterAll(async () => {
  await guarded?.stop();
  await pg?.stop();
  await engine?.close();
  if (config) rmSync(config.dataDir, { recursive: true, force: true });
});

describe('every refusal has a documented code', () => {
  it('reads the error table of docs/api.md', () => {
    expect([...DOCUMENTED.keys()].sort()).toEqual(
      expect.arrayContaining([400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 503]),
    );
    expect(DOCUMENTED.get(400)).toContain('bad_json');
  });

  it('bodies, commands, options and images', async () => {
    const c = new Client(pg.url);
    await refused('not JSON', post(c, '/api/jobs', '{'), 400);
    await refused('not an object', post(c, '/api/jobs', '[1]'), 400);
    await refused('bad multipart', post(c, '/api/jobs', 'junk', 'multipart/form-data; boundary=x'), 400);
    await refused('neither JSON nor multipart', post(c, '/api/jobs', 'hi', 'text/plain'), 415);
    await refused('too large', post(c, '/api/jobs', JSON.stringify({ text: 'x'.repeat(BODY_LIMIT) })), 413);
    await refused('no command', c.postJson('/api/jobs', {}), 400);
    await refused('text without a command', c.postJson('/api/jobs', { text: 'hello' }), 400);
    await refused('unknown command', c.postJson('/api/jobs', { command: 'paint' }), 400);
    await refused(
      'bad option',
      c.postJson('/api/jobs', { command: 'imagine', options: { prompt: 'a', steps: 'x' } }),
      400,
    );
    await refused(
      'options not an object',
      c.postJson('/api/jobs', { command: 'imagine', options: '{' }),
      400,
    );
    await refused(
      'missing image',
      c.postJson('/api/jobs', { command: 'sketch', options: { prompt: 'a' } }),
      400,
    );
    await refused(
      'bad data URL',
      c.postJson('/api/jobs', { command: 'sketch', options: { image: 'data:image/png;base64,@@' } }),
      400,
    );
    await refused(
      'a text file as the image',
      c.postJson('/api/jobs', {
        command: 'sketch',
        options: { image: dataUrl(Buffer.from('hello, world'), 'text/plain') },
      }),
      415,
    );
    const big = dataUrl(await samplePng(200, 100));
    await refused(
      'an image over the pixel limit',
      c.postJson('/api/jobs', { command: 'sketch', options: { image: big } }),
      422,
    );
    await refused(
      'steps above MAX_STEPS',
      c.postJson('/api/jobs', { command: 'imagine', options: { prompt: 'a', steps: 50 } }),
      422,
    );
    const opaque = dataUrl(await samplePng(48, 40));
    await refused(
      'inpaint without mask or transparency',
      c.postJson('/api/jobs', { command: 'inpaint', options: { image: opaque, prompt: 'a cat' } }),
      422,
    );
    await refused(
      'a command refusing on its own (/cancel with nothing to cancel)',
      c.postJson('/api/jobs', { text: '/cancel' }),
      400,
    );
    await refused(
      'noise with unreadable timesteps',
      c.postJson('/api/jobs', { text: '/noise --t abc', image: opaque }),
      400,
    );
    await refused('bad history limit', c.fetch('/api/history?limit=0'), 400);
  });

  it('access, routes and methods', async () => {
    const c = new Client(pg.url);
    await refused('foreign Host', raw('/api/health', { host: 'evil.example' }), 403);
    await refused(
      'cross-site write',
      c.fetch('/api/jobs', {
        method: 'POST',
        headers: { origin: 'http://evil.example', 'content-type': 'application/json' },
        body: '{}',
      }),
      403,
    );
    await refused('no token', fetch(new URL('/api/health', guarded.url)), 401);
    await refused('unknown job', c.fetch('/api/jobs/zzzzzzzz'), 404);
    await refused('unknown route', c.fetch('/api/nothing'), 404);
    await refused('unknown file', c.fetch('/nothing.txt'), 404);
    await refused('wrong method', c.fetch('/api/jobs', { method: 'PUT' }), 405);
    await refused('wrong method on the page', c.fetch('/', { method: 'POST' }), 405);
    await refused('cancel an unknown job', c.fetch('/api/jobs/zzzzzzzz', { method: 'DELETE' }), 404);
  });

  it('jobs, limits and shutdown', async () => {
    const a = new Client(pg.url);
    const b = new Client(pg.url);
    const other = new Client(pg.url);
    await Promise.all([a.fetch('/'), b.fetch('/'), other.fetch('/')]);
    const stall = { command: 'imagine', options: { prompt: 'stall here', steps: 4 } };
    const ja = (await (await a.postJson('/api/jobs', stall)).json()) as { jobId: string };
    expect(ja.jobId).toBeTruthy();
    await refused('no result yet', a.fetch(`/api/jobs/${ja.jobId}/image.png`), 404);
    await refused("someone else's job", other.fetch(`/api/jobs/${ja.jobId}`, { method: 'DELETE' }), 403);
    await refused('per-user limit', a.postJson('/api/jobs', stall), 429);
    await refused(
      'regenerate past the per-user limit',
      a.fetch(`/api/jobs/${ja.jobId}/regenerate`, { method: 'POST' }),
      429,
    );
    await refused('bad regenerate seed', b.postJson(`/api/jobs/${ja.jobId}/regenerate`, { seed: -1 }), 400);
    const jb = (await (await b.postJson('/api/jobs', stall)).json()) as { jobId: string };
    expect(jb.jobId).toBeTruthy();
    await refused('queue full', other.postJson('/api/jobs', stall), 429);
    expect((await b.fetch(`/api/jobs/${jb.jobId}`, { method: 'DELETE' })).status).toBe(200);
    await refused('cancel after the end', b.fetch(`/api/jobs/${jb.jobId}`, { method: 'DELETE' }), 409);

    const closing = engine.close();
    await refused(
      'shutting down',
      other.postJson('/api/jobs', { command: 'imagine', options: { prompt: 'late' } }),
      503,
    );
    await closing;
    expect(seen.every((s) => typeof s.code === 'string')).toBe(true);
  });
});
