// The distributed engine and a cluster worker in this process, on a real redis-server: the same
// seed gives the same image as embedded mode, uploads and a follow-up's parent result reach a
// worker with its own DATA_DIR through Redis, a model no worker serves is refused at submit, and the worker's /healthz and
// /metrics answer.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterWorker } from '../../src/cluster/cluster-worker.ts';
import { DistributedEngine } from '../../src/cluster/distributed-engine.ts';
import { waitForJob } from '../../src/jobs/api.ts';
import { createEngine } from '../../src/engine/engine.ts';
import { followUp } from '../../src/engine/follow-ups.ts';
import { resultDir } from '../../src/jobs/paths.ts';
import { startHealthServer } from '../../src/engine/http-health.ts';
import { createLogger } from '../../src/jobs/logger.ts';
import { testConfig, testPng } from '../engine/helpers.ts';
import { HAVE_REDIS, TestRedis } from './procs.ts';

const owner = { platform: 'test', userId: 'u1' };
const spec = { technique: 'imagine', prompt: 'a rocket', seed: 7, steps: 4 };

describe.skipIf(!HAVE_REDIS)('distributed engine in-process (skipped without /usr/bin/redis-server)', () => {
  const redis = new TestRedis();
  let engine: DistributedEngine;
  let worker: ClusterWorker;
  const log = createLogger('silent');

  beforeAll(async () => {
    await redis.start();
    const env = { REDIS_URL: redis.url, INTRA_OP_THREADS: '1', CLUSTER_LOCK_MS: '2000', MAX_STEPS: '999' };
    worker = new ClusterWorker(testConfig(env), log, { defaultMetrics: false });
    engine = new DistributedEngine(testConfig(env), { logger: log, defaultMetrics: false });
    await engine.start();
    await worker.start();
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await engine?.close();
    await redis.close();
  }, 30_000);

  it('the same seed gives the same image bytes as embedded mode', async () => {
    const local = createEngine(testConfig({ INTRA_OP_THREADS: '1' }), { logger: log, defaultMetrics: false });
    await local.start();
    try {
      const a = await local.submit(spec, owner);
      const b = await engine.submit(spec, owner);
      if (!a.ok || !b.ok) throw new Error(`refused: ${JSON.stringify([a, b])}`);
      const [ea, eb] = await Promise.all([waitForJob(local, a.jobId), waitForJob(engine, b.jobId)]);
      if (ea.type !== 'done' || eb.type !== 'done') throw new Error(`not done: ${JSON.stringify([ea, eb])}`);
      const [ra, rb] = await Promise.all([
        readFile(ea.result.files.rawPng),
        readFile(eb.result.files.rawPng),
      ]);
      expect(rb.equals(ra)).toBe(true);
      expect(eb.result.spec.seed).toBe(7);
      expect(eb.result.model).toBe('test-tiny');
    } finally {
      await local.close();
    }
  }, 60_000);

  it('streams progress events, with previews, to the front-end', async () => {
    const r = await engine.submit({ ...spec, seed: 8, steps: 6 }, owner);
    if (!r.ok) throw new Error(r.message);
    const seen: string[] = [];
    let previews = 0;
    const end = await waitForJob(engine, r.jobId, (e) => {
      seen.push(e.type);
      if (e.type === 'progress' && e.preview) previews++;
    });
    expect(end.type).toBe('done');
    expect(seen).toContain('started');
    expect(seen.filter((t) => t === 'progress').length).toBeGreaterThan(0);
    expect(previews).toBeGreaterThan(0);
  }, 60_000);

  it('an upload reaches a worker with another DATA_DIR through Redis', async () => {
    const up = await engine.storeUpload(await testPng(48, 40), owner);
    if (!up.ok) throw new Error(up.message);
    const r = await engine.submit(
      { technique: 'sketch', prompt: 'a house', image: up.ref, seed: 3, steps: 4, noiseLevel: 1 },
      owner,
    );
    if (!r.ok) throw new Error(r.message);
    const end = await waitForJob(engine, r.jobId);
    expect(end.type, JSON.stringify(end)).toBe('done');
  }, 60_000);

  it("a follow-up reaches a worker with another DATA_DIR: the parent's result travels by key", async () => {
    const grid = await engine.submit({ ...spec, seed: 31, count: 2 }, owner);
    if (!grid.ok) throw new Error(grid.message);
    expect((await waitForJob(engine, grid.jobId)).type).toBe('done');
    const v = await followUp(engine, grid.jobId, 'vs', 2, owner);
    if (!v.ok) throw new Error(v.message);
    expect(v.spec.source).toEqual({ parent: grid.jobId, candidate: 2, count: 2, action: 'vs' });
    const end = await waitForJob(engine, v.jobId);
    expect(end.type, JSON.stringify(end)).toBe('done');
    // The worker's copy of the parent's result went with the run.
    expect(existsSync(resultDir(worker.config.dataDir, grid.jobId))).toBe(false);
  }, 60_000);

  it('applies the per-user limit at submit with the embedded message, and cancels queued and running jobs', async () => {
    const me = { platform: 'test', userId: 'limited' };
    const a = await engine.submit({ ...spec, seed: 21, steps: 400 }, me);
    const b = await engine.submit({ ...spec, seed: 22, steps: 400 }, me);
    if (!a.ok || !b.ok) throw new Error(`refused: ${JSON.stringify([a, b])}`);
    const c = await engine.submit({ ...spec, seed: 23 }, me);
    expect(c.ok).toBe(false);
    if (c.ok) return;
    expect(c.code).toBe('user_limit');
    expect(c.message).toBe(
      'You already have 2 jobs waiting or running; wait for one to finish or cancel one.',
    );
    // b waits behind a (one worker): removed from the queue.
    expect(await engine.cancel(b.jobId, { userId: 'limited', isAdmin: false })).toEqual({
      ok: true,
      status: 'cancelled',
    });
    // a is cancelled at its first progress report, mid-run on the worker.
    const midRun = new Promise<void>((resolve) => {
      engine.subscribe(a.jobId, (e) => {
        if (e.type === 'progress') resolve();
      });
    });
    await midRun;
    expect(await engine.cancel(a.jobId, { userId: 'limited', isAdmin: false })).toEqual({
      ok: true,
      status: 'cancelled',
    });
    expect((await engine.get(a.jobId))?.status).toBe('cancelled');
    expect((await engine.submit({ ...spec, seed: 24 }, me)).ok).toBe(true);
  }, 60_000);

  it('refuses at submit a job for a model no worker serves, naming the model', async () => {
    const r = await engine.submit({ ...spec, model: 'test-tiny-learned' }, owner);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('unavailable');
    expect(r.message).toMatch(/No worker serves the model "test-tiny-learned"/);
  });

  it('the worker answers /healthz and /metrics with queue depth, jobs by state, step time and busy ratio', async () => {
    const h = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      health: () => worker.health(),
      registry: worker.metrics.registry,
    });
    try {
      const health = await fetch(`${h.url}/healthz`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { model: string }).model).toBe('test-tiny');
      const text = await (await fetch(`${h.url}/metrics`)).text();
      expect(text).toMatch(/diffuse_cluster_queue_depth\{model="test-tiny"\} 0/);
      expect(text).toMatch(/diffuse_cluster_jobs\{model="test-tiny",state="completed"\} [1-9]/);
      expect(text).toMatch(/diffuse_worker_jobs_total\{model="test-tiny",status="done"\} [1-9]/);
      expect(text).toMatch(/diffuse_step_latency_seconds_count\{model="test-tiny"\} [1-9]/);
      expect(text).toMatch(/diffuse_worker_busy_ratio 0\.\d+/);
    } finally {
      await h.close();
    }
  });
});
