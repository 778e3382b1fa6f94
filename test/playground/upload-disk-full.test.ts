// A full disk while uploading: the upload is answered 503 `unavailable` with a message that says
// the bot cannot store it now (not 500 `internal`, not the image's fault), and /healthz is not ok
// with a `reason` until a write succeeds again; a disk nearly out of space is reported the same way
// before any write fails. The fault is ENOSPC from the upload's write, and the free space a reading
// of the test's own, both through the StorageHealth the test gives the engine.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { startHealthServer, type HealthServer } from '../../src/engine/http-health.ts';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import { StorageHealth } from '../../src/jobs/storage-health.ts';
import { faultyWorker } from '../engine/fixtures/faulty-worker.ts';
import { Client, playgroundConfig, samplePng } from './helpers.ts';

/** DATA_DIR's storage with a switch that makes every write fail as a full disk does (ENOSPC). */
class FullDisk extends StorageHealth {
  full = false;
  override async writeFile(file: string, bytes: Uint8Array): Promise<void> {
    if (this.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 });
    return super.writeFile(file, bytes);
  }
}

const MiB = 1024 * 1024;
let free = 10_000 * MiB;
let config: Config;
let engine: LocalEngine;
let pg: Playground;
let hs: HealthServer;
let disk: FullDisk;

beforeAll(async () => {
  config = playgroundConfig();
  engine = createEngine(config, {
    defaultMetrics: false,
    worker: faultyWorker({}),
    storageHealth: (disk = new FullDisk(config.dataDir, () => free)),
  });
  await engine.start();
  pg = await startPlayground(config, engine, { historyFile: null, sessionKeyFile: null });
  hs = await startHealthServer({ host: '127.0.0.1', port: 0, health: () => engine.health(), registry: engine.metrics.registry });
});

afterAll(async () => {
  await hs?.close();
  await pg?.stop();
  await engine?.close();
  if (config) rmSync(config.dataDir, { recursive: true, force: true });
});

async function healthz(): Promise<{ status: number; body: { ok: boolean; reason?: string } }> {
  const res = await fetch(`${hs.url}/healthz`);
  return { status: res.status, body: (await res.json()) as { ok: boolean; reason?: string } };
}

async function upload(seed: number): Promise<{ status: number; body: { code?: string; error?: string } }> {
  const c = new Client(pg.url);
  const form = new FormData();
  form.set('text', `/noise --t 250`);
  form.set('image', new Blob([new Uint8Array(await samplePng(40 + seed, 40))], { type: 'image/png' }), 'a.png');
  const res = await c.fetch('/api/jobs', { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as { code?: string; error?: string } };
}

describe('a full disk and uploads', () => {
  it('an upload that cannot be written is 503 unavailable, and /healthz says why until a write succeeds', async () => {
    expect(await healthz()).toMatchObject({ status: 200, body: { ok: true } });
    expect((await healthz()).body.reason).toBeUndefined();
    disk.full = true;
    free = 20 * MiB; // room by statfs's count, yet the write fails (a quota, another writer)
    const r = await upload(1);
    expect(r).toEqual({ status: 503, body: { code: 'unavailable', error: "I can't store your image right now (the bot's disk is full); try again later." } });
    const h = await healthz();
    expect(h.status).toBe(503);
    expect(h.body.ok).toBe(false);
    expect(h.body.reason).toBe("a write to DATA_DIR failed: the bot's disk is full (20.0 MiB free)");
    // Still refused while the disk stays full.
    expect((await upload(1)).status).toBe(503);

    disk.full = false;
    const ok = await upload(2);
    expect(ok.status).toBe(202);
    expect(await healthz()).toMatchObject({ status: 200, body: { ok: true } });
  });

  it('a disk nearly out of space makes /healthz not ok before any write fails; it clears when space is back', async () => {
    free = 3 * MiB;
    await new Promise((r) => setTimeout(r, 1100)); // the free space is read at most once a second
    const h = await healthz();
    expect(h).toMatchObject({ status: 503, body: { ok: false, reason: "DATA_DIR's disk is nearly full: 3.0 MiB free (at least 16.0 MiB needed)" } });
    free = 10_000 * MiB;
    await new Promise((r) => setTimeout(r, 1100));
    expect((await healthz()).status).toBe(200);
  });
});

describe('StorageHealth', () => {
  it('a failed write clears once room for it (and the floor) has been made since', () => {
    let bytes = 1 * MiB;
    const s = new StorageHealth('/x', () => bytes);
    const t = Date.now();
    s.noteFailure("the bot's disk is full", 10 * MiB);
    expect(s.problem(t)).toMatch(/^a write to DATA_DIR failed/);
    bytes = 20 * MiB; // not yet room for the 10 MiB write and the 16 MiB floor
    expect(s.problem(t + 1500)).toMatch(/^a write to DATA_DIR failed/);
    bytes = 30 * MiB;
    expect(s.problem(t + 2000)).toMatch(/^a write to DATA_DIR failed/); // read again after a second only
    expect(s.problem(t + 3000)).toBeNull();
    s.noteFailure("the bot's disk is full", 10 * MiB);
    s.noteSuccess();
    expect(s.problem(t + 3000)).toBeNull();
  });
});
