// The playground's JSON HTTP API on a real engine (models/test-tiny: random weights, the real
// model contract): every route, the event stream, uploads and their limits, sessions, tokens.
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { createLogger } from '../../src/jobs/logger.ts';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import { Client, dataUrl, halfMaskPng, playgroundConfig, readEvents, samplePng } from './helpers.ts';

const BODY_LIMIT = 1024 * 1024;

let config: Config;
let engine: LocalEngine;
let pg: Playground;
let alice: Client;
let bob: Client;

interface Accepted {
  jobId: string;
  position: number;
  estimatedWaitMs: number;
  spec: { technique: string; prompt: string; seed: number; steps: number; image?: string; mask?: string };
  text: string;
  links: Record<string, string>;
}

/** Submits JSON as `client`, expects 202, and returns the answer. */
async function submit(client: Client, body: unknown): Promise<Accepted> {
  const res = await client.postJson('/api/jobs', body);
  const json = (await res.json()) as Accepted & { error?: string };
  expect(res.status, json.error).toBe(202);
  return json;
}

/** Follows a job's events to the end. */
async function finish(client: Client, jobId: string) {
  const res = await client.fetch(`/api/jobs/${jobId}/events`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return readEvents(res);
}

/** Status and parsed error body of a response. */
async function failure(res: Response): Promise<{ status: number; error: string; code?: string }> {
  const body = (await res.json()) as { error: string; code?: string };
  expect(typeof body.error).toBe('string');
  return { status: res.status, ...body };
}

/** A GET with a chosen Host header (fetch does not let a script set Host). */
function rawGet(base: string, p: string, host: string): Promise<{ status: number; body: string }> {
  const u = new URL(p, base);
  return new Promise((resolve, reject) => {
    const req = request(
      { hostname: u.hostname, port: u.port, path: u.pathname, headers: { host } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  config = playgroundConfig({ MAX_STEPS: '60', USER_MAX_PENDING: '2' });
  engine = createEngine(config, { defaultMetrics: false });
  await engine.start();
  pg = await startPlayground(config, engine, { maxBodyBytes: BODY_LIMIT });
  alice = new Client(pg.url);
  bob = new Client(pg.url);
});

afterAll(async () => {
  await pg?.stop();
  await engine?.close();
  if (config) rmSync(config.dataDir, { recursive: true, force: true });
});

describe('page and commands', () => {
  it('serves the page with a strict CSP, a session cookie and the bundled script', async () => {
    const c = new Client(pg.url);
    const res = await c.fetch('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/app.js">');
    expect(html).not.toMatch(/https?:\/\//);
    // A random id and the server's signature of it (sessions.ts).
    expect(c.cookies.get('diffuse_session')).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);

    const js = await c.fetch('/app.js', { headers: { 'accept-encoding': 'gzip' } });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const code = await js.text();
    expect(code).toContain('/api/jobs');
    expect(code).not.toMatch(/\bimport\s*["'{]/);
    const etag = js.headers.get('etag')!;
    expect((await c.fetch('/app.js', { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await c.fetch('/style.css')).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await c.fetch('/nothing-here')).status).toBe(404);
  });

  it('lists the command specs for completion and forms', async () => {
    const { status, body } = await alice.json<{
      prefix: string;
      commands: { name: string; options: { name: string; type: string }[] }[];
    }>('/api/commands');
    expect(status).toBe(200);
    expect(body.prefix).toBe('/');
    const names = body.commands.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'imagine',
        'sketch',
        'inpaint',
        'anagram',
        'hybrid',
        'help',
        'queue',
        'cancel',
      ]),
    );
    const imagine = body.commands.find((c) => c.name === 'imagine')!;
    expect(imagine.options.map((o) => o.name)).toEqual(expect.arrayContaining(['prompt', 'seed', 'steps']));
    expect(
      body.commands.find((c) => c.name === 'sketch')!.options.find((o) => o.name === 'image')!.type,
    ).toBe('image');
  });

  it('answers text commands (help, queue) with 200 and a reply that names no other session', async () => {
    const res = await alice.postJson('/api/jobs', { text: '/help' });
    expect(res.status).toBe(200);
    const help = (await res.json()) as { reply: { kind: string; text: string } };
    expect(help.reply.kind).toBe('help');
    expect(help.reply.text).toContain('/imagine');

    const q = await alice.postJson('/api/jobs', { command: 'queue' });
    expect(q.status).toBe(200);
    const queue = (await q.json()) as { reply: { kind: string; entries: unknown[] } };
    expect(queue.reply.kind).toBe('queue');
    expect(JSON.stringify(queue)).not.toContain(bob.cookies.get('diffuse_session')?.split('.')[0] ?? 'no-bob-session');
  });

  it('reports the engine health', async () => {
    const { status, body } = await alice.json<{ model: string; workerAlive: boolean }>('/api/health');
    expect(status).toBe(200);
    expect(body.model).toBe('test-tiny');
  });
});

describe('a job from submit to files', () => {
  let job: Accepted;
  let events: Awaited<ReturnType<typeof finish>>;

  beforeAll(async () => {
    job = await submit(alice, {
      command: 'imagine',
      options: { prompt: 'a rocket ship', seed: 3, steps: 4 },
    });
    events = await finish(alice, job.jobId);
  });

  it('accepts the job with its position, wait estimate, normalized spec and links', () => {
    expect(job.jobId).toMatch(/^[a-z0-9]{10}$/);
    expect(job.position).toBeGreaterThanOrEqual(0);
    expect(job.estimatedWaitMs).toBeGreaterThanOrEqual(0);
    expect(job.spec).toMatchObject({
      technique: 'imagine',
      prompt: 'a rocket ship',
      seed: 3,
      steps: 4,
    });
    // Guidance was left out: the stored spec keeps it out, the engine runs the model's default.
    expect(job.spec).not.toHaveProperty('guidance');
    expect(job.links.events).toBe(`/api/jobs/${job.jobId}/events`);
  });

  it('streams queued, started, progress with step/total and previews, then done', () => {
    const types = events.map((e) => e.event);
    expect(types[0]).toBe('queued');
    expect(types).toContain('started');
    expect(types.at(-1)).toBe('done');
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress.every((e) => e.data.total === 4)).toBe(true);
    expect(progress.map((e) => e.data.step)).toContain(4);
    const previews = progress.filter((e) => typeof e.data.preview === 'string');
    expect(previews.length).toBeGreaterThan(0);
    const png = Buffer.from(
      String(previews[0].data.preview).replace(/^data:image\/png;base64,/, ''),
      'base64',
    );
    expect([...png.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    const done = events.at(-1)!.data.job as {
      status: string;
      result: { seed: number };
      caption: string;
      links: Record<string, string>;
    };
    expect(done.status).toBe('done');
    expect(done.result.seed).toBe(3);
    expect(done.caption).toContain('seed 3 · 4 steps · guidance 7 · test-tiny');
    expect(done.links.image).toBe(`/api/jobs/${job.jobId}/image.png`);
  });

  it('shows the stored job with spec, timings, result and links, without the owner', async () => {
    const { status, body } = await alice.json<Record<string, unknown>>(`/api/jobs/${job.jobId}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      jobId: job.jobId,
      status: 'done',
      technique: 'imagine',
      mine: true,
      command: '/imagine a rocket ship --seed 3 --steps 4',
    });
    const timings = body.timings as { totalMs: number; perStepMs: number };
    expect(timings.totalMs).toBeGreaterThan(0);
    expect(timings.perStepMs).toBeGreaterThan(0);
    expect(body.result).toMatchObject({ seed: 3, steps: 4, model: 'test-tiny', width: 128, height: 128 });
    expect((body.links as Record<string, string>).gif).toBe(`/api/jobs/${job.jobId}/trajectory.gif`);
    expect(JSON.stringify(body)).not.toContain(alice.cookies.get('diffuse_session')!.split('.')[0]);
    expect(JSON.stringify(body)).not.toContain(config.dataDir);
    const other = await bob.json<{ mine: boolean }>(`/api/jobs/${job.jobId}`);
    expect(other.body.mine).toBe(false);
  });

  it('serves the final PNG and the trajectory GIF', async () => {
    const png = await alice.fetch(`/api/jobs/${job.jobId}/image.png`);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    const meta = await sharp(Buffer.from(await png.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 128, 128]);

    const raw = await alice.fetch(`/api/jobs/${job.jobId}/raw.png`);
    const rawMeta = await sharp(Buffer.from(await raw.arrayBuffer())).metadata();
    expect([rawMeta.width, rawMeta.height]).toEqual([64, 64]);

    const gif = await alice.fetch(`/api/jobs/${job.jobId}/trajectory.gif`);
    expect(gif.status).toBe(200);
    expect(gif.headers.get('content-type')).toBe('image/gif');
    const gifMeta = await sharp(Buffer.from(await gif.arrayBuffer()), { animated: true }).metadata();
    expect(gifMeta.format).toBe('gif');
    expect(gifMeta.pages).toBeGreaterThan(1);
  });

  it('replays only the end to a late subscriber', async () => {
    const again = await finish(bob, job.jobId);
    expect(again.map((e) => e.event)).toEqual(['done']);
  });

  it('regenerates with a new seed (or a given one), recorded as a child', async () => {
    const res = await bob.fetch(`/api/jobs/${job.jobId}/regenerate`, { method: 'POST' });
    expect(res.status).toBe(202);
    const child = (await res.json()) as Accepted;
    expect(child.spec).toMatchObject({ prompt: 'a rocket ship', steps: 4 });
    expect(child.spec.seed).not.toBe(3);
    expect(child.text).toContain(`New seed: ${child.spec.seed}`);
    await finish(bob, child.jobId);
    const rec = await bob.json<{ parentId: string; mine: boolean; status: string }>(
      `/api/jobs/${child.jobId}`,
    );
    expect(rec.body).toMatchObject({ parentId: job.jobId, mine: true, status: 'done' });

    const seeded = await bob.postJson(`/api/jobs/${job.jobId}/regenerate`, { seed: 7 });
    expect(seeded.status).toBe(202);
    const s = (await seeded.json()) as Accepted;
    expect(s.spec.seed).toBe(7);
    await finish(bob, s.jobId);
  });
});

describe('text commands, multipart and data URLs', () => {
  it('parses a text command line like the chat adapters do', async () => {
    const job = await submit(alice, { text: '/imagine a rocket ship --seed 3 --steps 3' });
    expect(job.spec).toMatchObject({ technique: 'imagine', prompt: 'a rocket ship', seed: 3, steps: 3 });
    const events = await finish(alice, job.jobId);
    expect(events.at(-1)!.event).toBe('done');
  });

  it('runs /sketch with the image as a multipart file', async () => {
    const form = new FormData();
    form.set('text', '/sketch a house --noise_level 2 --seed 11');
    form.set('image', new Blob([new Uint8Array(await samplePng())], { type: 'image/png' }), 'sketch.png');
    const res = await alice.fetch('/api/jobs', { method: 'POST', body: form });
    const job = (await res.json()) as Accepted;
    expect(res.status).toBe(202);
    expect(job.spec).toMatchObject({ technique: 'sketch', prompt: 'a house', seed: 11 });
    expect(job.spec.image).toMatch(/^[0-9a-f]{64}$/);
    const events = await finish(alice, job.jobId);
    expect(events.at(-1)!.event).toBe('done');
  });

  it('runs /inpaint with image and mask as base64 data URLs', async () => {
    const job = await submit(alice, {
      command: 'inpaint',
      options: {
        prompt: 'a cat',
        seed: 5,
        image: dataUrl(await samplePng()),
        mask: dataUrl(await halfMaskPng()),
      },
    });
    expect(job.spec.image).toMatch(/^[0-9a-f]{64}$/);
    expect(job.spec.mask).toMatch(/^[0-9a-f]{64}$/);
    expect(job.spec.mask).not.toBe(job.spec.image);
    const events = await finish(alice, job.jobId);
    expect(events.at(-1)!.event, JSON.stringify(events.at(-1)!.data)).toBe('done');
  });

  it('takes multipart option fields by name with a command field', async () => {
    const form = new FormData();
    form.set('command', 'imagine');
    form.set('prompt', 'a tree');
    form.set('seed', '21');
    form.set('steps', '2');
    const res = await alice.fetch('/api/jobs', { method: 'POST', body: form });
    expect(res.status).toBe(202);
    const job = (await res.json()) as Accepted;
    expect(job.spec).toMatchObject({ prompt: 'a tree', seed: 21, steps: 2 });
    await finish(alice, job.jobId);
  });
});

describe('bad input', () => {
  it('400 for a body that is not JSON, or not an object', async () => {
    const bad = await failure(
      await alice.fetch('/api/jobs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"command": "imagine",',
      }),
    );
    expect(bad).toMatchObject({ status: 400, code: 'bad_json' });
    expect(bad.error).toMatch(/not valid JSON/);
    expect(await failure(await alice.postJson('/api/jobs', ['imagine']))).toMatchObject({
      status: 400,
      code: 'bad_json',
    });
  });

  it('400 for an unknown command, naming the real ones', async () => {
    const f = await failure(
      await alice.postJson('/api/jobs', { command: 'paint', options: { prompt: 'x' } }),
    );
    expect(f).toMatchObject({ status: 400, code: 'unknown_command' });
    expect(f.error).toContain('/paint');
    expect(f.error).toContain('/imagine');
    expect((await failure(await alice.postJson('/api/jobs', { text: '/paint a dog' }))).status).toBe(400);
    expect((await failure(await alice.postJson('/api/jobs', {}))).code).toBe('bad_command');
  });

  it('400 for a missing prompt, a bad option value or an unknown option', async () => {
    const missing = await failure(await alice.postJson('/api/jobs', { command: 'imagine', options: {} }));
    expect(missing).toMatchObject({ status: 400, code: 'bad_options' });
    expect(missing.error).toContain('prompt');
    expect((await failure(await alice.postJson('/api/jobs', { text: '/imagine' }))).error).toContain(
      'prompt',
    );
    const seed = await failure(
      await alice.postJson('/api/jobs', { command: 'imagine', options: { prompt: 'a', seed: 'lots' } }),
    );
    expect(seed).toMatchObject({ status: 400 });
    expect(seed.error).toContain('seed');
    const unknown = await failure(await alice.postJson('/api/jobs', { text: '/imagine a cat --colour red' }));
    expect(unknown.error).toContain('colour');
    const nested = await failure(
      await alice.postJson('/api/jobs', { command: 'imagine', options: { prompt: { text: 'a' } } }),
    );
    expect(nested.status).toBe(400);
  });

  it('400 when a required image is missing', async () => {
    const f = await failure(await alice.postJson('/api/jobs', { text: '/sketch a house' }));
    expect(f).toMatchObject({ status: 400, code: 'missing_image' });
    expect(f.error).toContain('image');
  });

  it('422 when the engine finds the spec invalid (steps above MAX_STEPS)', async () => {
    const f = await failure(
      await alice.postJson('/api/jobs', { command: 'imagine', options: { prompt: 'a cat', steps: 80 } }),
    );
    expect(f).toMatchObject({ status: 422, code: 'invalid_spec' });
    expect(f.error).toContain('60');
  });

  it('415 for an upload that is not an image, as a file or as a data URL', async () => {
    const form = new FormData();
    form.set('text', '/sketch');
    form.set('image', new Blob(['just some notes, not a picture'], { type: 'image/png' }), 'notes.png');
    const f = await failure(await alice.fetch('/api/jobs', { method: 'POST', body: form }));
    expect(f).toMatchObject({ status: 415, code: 'not_an_image' });
    expect(f.error).toContain('PNG');
    const svg = dataUrl(
      new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
      'image/svg+xml',
    );
    const s = await failure(
      await alice.postJson('/api/jobs', { command: 'sketch', options: { image: svg } }),
    );
    expect(s.status).toBe(415);
    expect(s.error).toMatch(/SVG/);
    const txt = await failure(
      await alice.fetch('/api/jobs', {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: '/imagine a cat',
      }),
    );
    expect(txt.status).toBe(415);
  });

  it('413 for a body over the limit, and the server keeps working', async () => {
    const big = 'x'.repeat(BODY_LIMIT + 10);
    const res = await alice.fetch('/api/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: big }),
    });
    const f = await failure(res);
    expect(f).toMatchObject({ status: 413, code: 'too_large' });
    expect(f.error).toContain('1 MiB');
    expect((await alice.fetch('/api/commands')).status).toBe(200);
  });

  it('422 for an image over the pixel limit (header only, never decoded)', async () => {
    const huge = await sharp({ create: { width: 6000, height: 5000, channels: 3, background: '#808080' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(huge.length).toBeLessThan(BODY_LIMIT / 2);
    const form = new FormData();
    form.set('text', '/sketch');
    form.set('image', new Blob([new Uint8Array(huge)], { type: 'image/png' }), 'huge.png');
    const f = await failure(await alice.fetch('/api/jobs', { method: 'POST', body: form }));
    expect(f.status).toBe(422);
    expect(f.error).toContain('6000x5000');
    expect(f.error).toContain('25 megapixels');
  });

  it('404 for an unknown job on every job route; 404/405 for unknown routes and methods', async () => {
    for (const p of [
      '/api/jobs/zzzz0000zz',
      '/api/jobs/zzzz0000zz/events',
      '/api/jobs/zzzz0000zz/image.png',
      '/api/jobs/zzzz0000zz/trajectory.gif',
    ]) {
      const f = await failure(await alice.fetch(p));
      expect(f.status, p).toBe(404);
      expect(f.error).toContain('zzzz0000zz');
    }
    expect(
      (await failure(await alice.fetch('/api/jobs/zzzz0000zz/regenerate', { method: 'POST' }))).status,
    ).toBe(404);
    expect((await failure(await alice.fetch('/api/jobs/zzzz0000zz', { method: 'DELETE' }))).status).toBe(404);
    expect((await failure(await alice.fetch('/api/nope'))).status).toBe(404);
    const m = await alice.fetch('/api/jobs', { method: 'GET' });
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toBe('POST');
  });

  it('400 for a bad regenerate seed and a bad history limit', async () => {
    const job = await submit(alice, { command: 'imagine', options: { prompt: 'a dog', steps: 2 } });
    await finish(alice, job.jobId);
    expect(
      (await failure(await alice.postJson(`/api/jobs/${job.jobId}/regenerate`, { seed: -1 }))).status,
    ).toBe(400);
    expect((await failure(await alice.fetch('/api/history?limit=0'))).status).toBe(400);
  });
});

describe('cancel, limits and history', () => {
  it('cancels a queued and a running job (owner only), 429 past the per-user limit, 409 after the end', async () => {
    const carol = new Client(pg.url);
    await carol.fetch('/');
    const a = await submit(carol, { command: 'imagine', options: { prompt: 'a long one', steps: 60 } });
    const b = await submit(carol, { command: 'imagine', options: { prompt: 'a second one', steps: 60 } });
    const limited = await failure(
      await carol.postJson('/api/jobs', { command: 'imagine', options: { prompt: 'a third' } }),
    );
    expect(limited).toMatchObject({ status: 429, code: 'user_limit' });

    const notMine = await failure(await bob.fetch(`/api/jobs/${b.jobId}`, { method: 'DELETE' }));
    expect(notMine).toMatchObject({ status: 403, code: 'forbidden' });

    const bEvents = carol.fetch(`/api/jobs/${b.jobId}/events`).then(readEvents);
    const cb = await carol.fetch(`/api/jobs/${b.jobId}`, { method: 'DELETE' });
    expect(cb.status).toBe(200);
    expect(await cb.json()).toEqual({ jobId: b.jobId, status: 'cancelled' });
    const bSeen = await bEvents;
    expect(b.position).toBe(1);
    expect(bSeen[0]).toMatchObject({ event: 'queued', data: { jobId: b.jobId, position: 1 } });
    expect(bSeen.at(-1)!.event).toBe('cancelled');

    const ca = await carol.fetch(`/api/jobs/${a.jobId}`, { method: 'DELETE' });
    expect(ca.status).toBe(200);
    expect(((await ca.json()) as { status: string }).status).toBe('cancelled');
    expect((await carol.json<{ status: string }>(`/api/jobs/${a.jobId}`)).body.status).toBe('cancelled');
    const again = await failure(await carol.fetch(`/api/jobs/${a.jobId}`, { method: 'DELETE' }));
    expect(again).toMatchObject({ status: 409, code: 'not_cancellable' });
    const img = await failure(await carol.fetch(`/api/jobs/${a.jobId}/image.png`));
    expect(img.status).toBe(404);
  });

  it("lists this browser's jobs, oldest first, and survives a restart of the playground", async () => {
    const dave = new Client(pg.url);
    const j1 = await submit(dave, { command: 'imagine', options: { prompt: 'first', steps: 2 } });
    await finish(dave, j1.jobId);
    const j2 = await submit(dave, { text: '/imagine second --steps 2' });
    await finish(dave, j2.jobId);
    const h = await dave.json<{
      jobs: { jobId: string; status: string; command: string; links: Record<string, string> }[];
    }>('/api/history');
    expect(h.body.jobs.map((j) => j.jobId)).toEqual([j1.jobId, j2.jobId]);
    expect(h.body.jobs[1].command).toMatch(/^\/imagine second --seed \d+ --steps 2$/);
    expect(h.body.jobs[1].links.image).toBe(`/api/jobs/${j2.jobId}/image.png`);
    const stranger = await new Client(pg.url).json<{ jobs: unknown[] }>('/api/history');
    expect(stranger.body.jobs).toEqual([]);

    const file = path.join(config.dataDir, 'playground', 'history.jsonl');
    expect(readFileSync(file, 'utf8')).toContain(j2.jobId);
    const second = await startPlayground(config, engine, { port: 0 });
    try {
      const reloaded = new Client(second.url);
      for (const [k, v] of dave.cookies) reloaded.cookies.set(k, v);
      const h2 = await reloaded.json<{ jobs: { jobId: string }[] }>('/api/history?limit=1');
      expect(h2.body.jobs.map((j) => j.jobId)).toEqual([j2.jobId]);
    } finally {
      await second.stop();
    }
  });
});

describe('shutdown', () => {
  it('stop() ends open event streams and closes the server', async () => {
    const extra = await startPlayground(config, engine, { port: 0, historyFile: null });
    const c = new Client(extra.url);
    const job = await submit(c, { command: 'imagine', options: { prompt: 'slow', steps: 60 } });
    const res = await c.fetch(`/api/jobs/${job.jobId}/events`);
    const reading = readEvents(res);
    await extra.stop();
    const seen = await reading;
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.map((e) => e.event)).not.toContain('done');
    await expect(fetch(extra.url)).rejects.toThrow();
    // The engine is not the playground's: the job goes on and can still be seen (and cancelled) elsewhere.
    expect(['queued', 'running']).toContain((await engine.get(job.jobId))!.status);
    expect((await engine.cancel(job.jobId, { userId: 'admin', isAdmin: true })).ok).toBe(true);
  });
});

describe('access control', () => {
  it('refuses to bind beyond loopback without a token', async () => {
    await expect(
      startPlayground(config, engine, { host: '0.0.0.0', port: 0, token: undefined }),
    ).rejects.toThrow(/PLAYGROUND_TOKEN/);
  });

  it('requires the token on every API call when one is set (Bearer or the cookie from /?token=)', async () => {
    const token = 'correct-horse-battery-staple';
    let logText = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logText += String(chunk);
        cb();
      },
    });
    const logger = createLogger('info', sink);
    const guarded = await startPlayground(config, engine, { host: '0.0.0.0', port: 0, token, logger });
    try {
      expect(guarded.url).toMatch(/^http:\/\/localhost:\d+\/$/);
      // The startup line says a token is required (a key named "token" would be redacted) and never shows it.
      const listening = logText.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'playground listening');
      expect(listening).toMatchObject({ auth: 'token required' });
      expect(logText).not.toContain(token);
      const anon = new Client(guarded.url);
      expect((await anon.fetch('/')).status).toBe(200);
      for (const [method, p] of [
        ['GET', '/api/commands'],
        ['GET', '/api/history'],
        ['GET', '/api/jobs/zzzz0000zz'],
        ['POST', '/api/jobs'],
      ]) {
        const f = await failure(await anon.fetch(p, { method }));
        expect(f, `${method} ${p}`).toMatchObject({ status: 401, code: 'token_required' });
      }
      const wrong = new Client(guarded.url, { authorization: 'Bearer nope' });
      expect((await wrong.fetch('/api/commands')).status).toBe(401);
      const bearer = new Client(guarded.url, { authorization: `Bearer ${token}` });
      expect((await bearer.fetch('/api/commands')).status).toBe(200);

      const browser = new Client(guarded.url);
      const bad = await browser.fetch('/?token=wrong');
      expect(bad.status).toBe(200);
      expect(browser.cookies.has('diffuse_token')).toBe(false);
      const visit = await browser.fetch(`/?token=${token}`);
      expect(visit.status).toBe(303);
      expect(visit.headers.get('location')).toBe('/');
      expect(visit.headers.getSetCookie().join()).toMatch(/diffuse_token=.*HttpOnly; SameSite=Strict/);
      expect((await browser.fetch('/api/commands')).status).toBe(200);
      const job = await browser.postJson('/api/jobs', {
        command: 'imagine',
        options: { prompt: 'a key', steps: 2 },
      });
      expect(job.status).toBe(202);
      await readEvents(await browser.fetch(`/api/jobs/${((await job.json()) as Accepted).jobId}/events`));
    } finally {
      await guarded.stop();
    }
  });

  it('refuses foreign Host names (DNS rebinding) and cross-site writes when bound to loopback', async () => {
    const foreign = await rawGet(pg.url, '/api/commands', 'attacker.example');
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toMatchObject({ code: 'bad_host' });
    expect((await rawGet(pg.url, '/api/commands', 'localhost:1234')).status).toBe(200);
    expect((await rawGet(pg.url, '/', '[::1]:80')).status).toBe(200);
    const cross = await failure(
      await alice.fetch('/api/jobs', {
        method: 'POST',
        headers: { origin: 'http://attacker.example', 'content-type': 'application/json' },
        body: '{"text":"/imagine x"}',
      }),
    );
    expect(cross).toMatchObject({ status: 403, code: 'cross_site' });
  });

  it('Fetch Metadata: Sec-Fetch-Site cross-site or same-site is refused even with this host as Origin', async () => {
    const origin = new URL(pg.url).origin;
    const post = (site: string) =>
      alice.fetch('/api/jobs', {
        method: 'POST',
        headers: { origin, 'sec-fetch-site': site, 'content-type': 'application/json' },
        body: '{"text":"/help"}',
      });
    for (const site of ['cross-site', 'same-site']) {
      expect(await failure(await post(site))).toMatchObject({ status: 403, code: 'cross_site' });
    }
    // The page's own requests, and requests typed in by the user.
    expect((await post('same-origin')).status).toBe(200);
    expect((await post('none')).status).toBe(200);
  });
});
