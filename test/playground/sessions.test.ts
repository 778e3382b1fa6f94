// Session cookies the server did not issue are no sessions: inventing cookies does not buy a fresh
// per-user allowance (they share the client address's allowance, as requests without a cookie
// do), issued cookies last across a restart (the signing key is kept in DATA_DIR), and a bare id
// of an earlier version is kept (and signed) only for a session that asked for jobs here.
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import { faultyWorker } from '../engine/fixtures/faulty-worker.ts';
import { Client, playgroundConfig } from './helpers.ts';

let config: Config;
let engine: LocalEngine;
let pg: Playground;
const LEGACY = 'L'.repeat(22);

// Jobs whose prompt says "stall" block at step 1, so they stay waiting or running.
const LONG = JSON.stringify({ command: 'imagine', options: { prompt: 'stall here', steps: 4 } });

beforeAll(async () => {
  config = playgroundConfig({ USER_MAX_PENDING: '2' });
  // A history from before cookies were signed: the bare id LEGACY asked for a job here.
  mkdirSync(path.join(config.dataDir, 'playground'), { recursive: true });
  writeFileSync(path.join(config.dataDir, 'playground', 'history.jsonl'), JSON.stringify({ s: LEGACY, j: 'oldjob1' }) + '\n');
  engine = createEngine(config, { defaultMetrics: false, abortGraceMs: 100, worker: faultyWorker({ stall: { word: 'stall', atStep: 1 } }) });
  await engine.start();
  pg = await startPlayground(config, engine);
});

afterAll(async () => {
  await pg?.stop();
  await engine?.close();
  if (config) rmSync(config.dataDir, { recursive: true, force: true });
});

async function post(cookie: string): Promise<{ status: number; code?: string; setCookie?: string }> {
  const res = await fetch(new URL('/api/jobs', pg.url), { method: 'POST', headers: { 'content-type': 'application/json', cookie: `diffuse_session=${cookie}` }, body: LONG });
  const body = (await res.json()) as { code?: string };
  const set = res.headers.getSetCookie().find((c) => c.startsWith('diffuse_session='));
  return { status: res.status, code: body.code, setCookie: set?.split(';')[0].slice('diffuse_session='.length) };
}

describe('session cookies', () => {
  it('invented cookies get no fresh allowance: 6 well-formed invented cookies, 2 jobs (the address allowance)', async () => {
    const invented = [
      'a'.repeat(22),
      'b'.repeat(40),
      'c'.repeat(64),
      `${'d'.repeat(22)}.${'x'.repeat(43)}`,
      `${'e'.repeat(22)}.`,
      `${'f'.repeat(22)}.${'A'.repeat(43)}`,
    ];
    const answers = [];
    for (const c of invented) answers.push(await post(c));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 429, 429, 429, 429]);
    expect(answers[2].code).toBe('user_limit');
    // Each is answered with a session the server issued, which is not the invented one.
    for (const [i, a] of answers.entries()) {
      expect(a.setCookie).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
      expect(a.setCookie!.split('.')[0]).not.toBe(invented[i].split('.')[0]);
    }
    // An issued cookie is a session of its own, with its own allowance, and is not issued again.
    const issued = answers[0].setCookie!;
    const mine = await post(issued);
    expect(mine).toMatchObject({ status: 202, setCookie: undefined });
    // Its id with another signature is not it.
    const forged = await post(`${issued.split('.')[0]}.${'Q'.repeat(43)}`);
    expect(forged.status).toBe(429);
    expect(forged.setCookie!.split('.')[0]).not.toBe(issued.split('.')[0]);
  });

  it('a bare id of an earlier version is kept, and signed, only for a session that asked for jobs here', async () => {
    const res = await fetch(new URL('/api/history', pg.url), { headers: { cookie: `diffuse_session=${LEGACY}` } });
    expect(res.status).toBe(200);
    const set = res.headers.getSetCookie()[0].split(';')[0];
    expect(set).toMatch(new RegExp(`^diffuse_session=${LEGACY}\\.[A-Za-z0-9_-]{43}$`));
  });

  it('issued sessions last across a restart: the key is kept in DATA_DIR, readable by the bot alone', async () => {
    const c = new Client(pg.url);
    await c.fetch('/');
    const cookie = c.cookies.get('diffuse_session')!;
    const keyFile = path.join(config.dataDir, 'playground', 'session.key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    await pg.stop();
    pg = await startPlayground(config, engine);
    const res = await fetch(new URL('/api/history', pg.url), { headers: { cookie: `diffuse_session=${cookie}` } });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});
