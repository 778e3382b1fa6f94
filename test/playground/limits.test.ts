// The per-user limit of the playground holds for requests without a session cookie: they share
// one allowance per client address (a script dropping the cookie cannot queue without bound).
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { faultyWorker } from '../engine/fixtures/faulty-worker.ts';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import { addressKey } from '../../src/adapters/playground/address-limit.ts';
import { Client, playgroundConfig } from './helpers.ts';

let config: Config;
let engine: LocalEngine;
let pg: Playground;

// Jobs whose prompt says "stall" block at step 1 (a hung model call), so they stay waiting or
// running for as long as the test needs, however fast the machine.
const LONG = { command: 'imagine', options: { prompt: 'stall here', steps: 4 } };

/** A POST with no cookie at all, as `curl` without a cookie jar sends it. */
async function cookieless(
  path: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown>; cookie: string }> {
  const res = await fetch(new URL(path, pg.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const cookie = (res.headers.getSetCookie()[0] ?? '').split(';')[0];
  return { status: res.status, json: (await res.json()) as Record<string, unknown>, cookie };
}

beforeAll(async () => {
  config = playgroundConfig({ USER_MAX_PENDING: '2' });
  engine = createEngine(config, {
    defaultMetrics: false,
    abortGraceMs: 100,
    worker: faultyWorker({ stall: { word: 'stall', atStep: 1 } }),
  });
  await engine.start();
  pg = await startPlayground(config, engine, { historyFile: null });
});

afterAll(async () => {
  await pg?.stop();
  await engine?.close();
  if (config) rmSync(config.dataDir, { recursive: true, force: true });
});

describe('requests without a session cookie', () => {
  it('share the per-user limit of their address; a cancelled job frees its place', async () => {
    const a = await cookieless('/api/jobs', LONG);
    const b = await cookieless('/api/jobs', LONG);
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    // Each answer still names a fresh session, so a client that keeps cookies owns its job.
    expect(a.cookie).not.toBe(b.cookie);

    const c = await cookieless('/api/jobs', LONG);
    expect(c.status).toBe(429);
    expect(c.json.code).toBe('user_limit');
    expect(String(c.json.error)).toMatch(/without a session cookie/);
    const again = await cookieless(`/api/jobs/${String(a.json.jobId)}/regenerate`, {});
    expect(again.status).toBe(429);
    expect(again.json.code).toBe('user_limit');
    // A text command is not a job: never limited.
    expect((await cookieless('/api/jobs', { text: '/help' })).status).toBe(200);

    // A browser with its cookie is another user, with its own allowance.
    const browser = new Client(pg.url);
    await browser.fetch('/');
    const mine = await browser.postJson('/api/jobs', {
      command: 'imagine',
      options: { prompt: 'mine', steps: 2 },
    });
    expect(mine.status).toBe(202);

    // The owner cancels with the cookie it was given; the address gets its place back.
    const cancel = await fetch(new URL(`/api/jobs/${String(b.json.jobId)}`, pg.url), {
      method: 'DELETE',
      headers: { cookie: b.cookie },
    });
    expect(cancel.status).toBe(200);
    const d = await cookieless('/api/jobs', LONG);
    expect(d.status).toBe(202);

    // The running job stays stalled until the engine closes (cancelling it would restart the worker).
    await fetch(new URL(`/api/jobs/${String(d.json.jobId)}`, pg.url), {
      method: 'DELETE',
      headers: { cookie: d.cookie },
    });
  });

  it('a garbage cookie counts as no cookie', async () => {
    const res = await fetch(new URL('/api/jobs', pg.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'diffuse_session=x' },
      body: JSON.stringify({ command: 'imagine', options: { prompt: 'a dog', steps: 2 } }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.getSetCookie()[0]).toMatch(/^diffuse_session=/);
  });
});

describe('limits before uploads', () => {
  it('a session at its limit is refused before its image is looked at', async () => {
    const c = new Client(pg.url);
    await c.fetch('/');
    const jobs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await c.postJson('/api/jobs', LONG);
      expect(r.status).toBe(202);
      jobs.push(((await r.json()) as { jobId: string }).jobId);
    }
    // Not an image at all: with the limit checked first the answer is 429, not 415.
    const notImage = `data:image/png;base64,${Buffer.from('not an image').toString('base64')}`;
    const r = await c.postJson('/api/jobs', { command: 'sketch', options: { prompt: 'a', image: notImage } });
    expect(r.status).toBe(429);
    expect(((await r.json()) as { code: string }).code).toBe('user_limit');
    for (const id of jobs) await c.fetch(`/api/jobs/${id}`, { method: 'DELETE' });
  });
});

describe('addressKey', () => {
  it('keys IPv4 as is, unwraps IPv4-mapped IPv6 and groups IPv6 by its /64', () => {
    expect(addressKey('127.0.0.1')).toBe('127.0.0.1');
    expect(addressKey('::ffff:10.0.0.7')).toBe('10.0.0.7');
    expect(addressKey('2001:db8:1:2::5')).toBe(addressKey('2001:db8:1:2:ffff:1:2:3'));
    expect(addressKey('2001:db8:1:2::5')).not.toBe(addressKey('2001:db8:1:3::5'));
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });
});
