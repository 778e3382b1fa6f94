// Private jobs and upload references in scale-out mode (the distributed front-end and a cluster
// worker in this process, on a real redis-server): the same checks as embedded mode. Another
// user's follow-up, reroll or cancel of a private job reads "not found", /info and /queue hide it,
// and an upload reference is usable only by its uploader.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCommand, runCommand } from '../../commands/index.ts';
import { ClusterWorker } from '../../src/cluster/cluster-worker.ts';
import { DistributedEngine } from '../../src/cluster/distributed-engine.ts';
import { followUp } from '../../src/engine/follow-ups.ts';
import { waitForJob, type JobOwner } from '../../src/jobs/api.ts';
import { createLogger } from '../../src/jobs/logger.ts';
import { testConfig, testPng } from '../engine/helpers.ts';
import { HAVE_REDIS, TestRedis } from './procs.ts';

const alice: JobOwner = { platform: 'test', userId: 'alice' };
const bob: JobOwner = { platform: 'test', userId: 'bob' };

describe.skipIf(!HAVE_REDIS)('private jobs in scale-out mode (skipped without /usr/bin/redis-server)', () => {
  const redis = new TestRedis();
  let engine: DistributedEngine;
  let worker: ClusterWorker;
  const log = createLogger('silent');

  beforeAll(async () => {
    await redis.start();
    const env = { REDIS_URL: redis.url, INTRA_OP_THREADS: '1', CLUSTER_LOCK_MS: '2000' };
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

  it("another user's follow-up, reroll, cancel and /info of a private job answer not found", async () => {
    const r = await engine.submit({ technique: 'imagine', prompt: 'a secret cat', steps: 2, seed: 1 }, { ...alice, private: true });
    if (!r.ok) throw new Error(r.message);
    expect((await waitForJob(engine, r.jobId)).type).toBe('done');
    const notFound = { ok: false, code: 'not_found', message: `I can't find job ${r.jobId}.` };
    expect(await followUp(engine, r.jobId, 'vs', 1, bob)).toEqual(notFound);
    expect(await engine.regenerate(r.jobId, bob)).toEqual(notFound);
    expect(await engine.cancel(r.jobId, { userId: 'bob', isAdmin: false, platform: 'test' })).toEqual(notFound);
    const info = await runCommand(getCommand('info')!, {
      engine,
      owner: bob,
      actor: { userId: 'bob', isAdmin: false, platform: 'test' },
      options: { job: r.jobId },
    });
    expect(info).toMatchObject({ kind: 'refusal', code: 'not_found' });
    expect(engine.store.children(r.jobId)).toEqual([]);
    // Its owner's reroll runs, and is private too.
    const again = await engine.regenerate(r.jobId, alice);
    if (!again.ok) throw new Error(again.message);
    expect((await engine.get(again.jobId))?.owner.private).toBe(true);
    expect((await waitForJob(engine, again.jobId)).type).toBe('done');
  }, 60_000);

  it('an upload reference is refused to another user as if it did not exist', async () => {
    const up = await engine.storeUpload(await testPng(48, 40), alice);
    if (!up.ok) throw new Error(up.message);
    const spec = { technique: 'sketch', prompt: 'a house', image: up.ref, seed: 3, steps: 4, noiseLevel: 1 };
    expect(await engine.submit(spec, bob)).toEqual({
      ok: false,
      code: 'bad_image',
      message: 'I no longer have the image of that request; attach it again.',
    });
    const own = await engine.submit(spec, alice);
    if (!own.ok) throw new Error(own.message);
    expect((await waitForJob(engine, own.jobId)).type).toBe('done');
  }, 60_000);
});
