// Content rules in scale-out mode, on a real redis-server with the bundled emoji model: the
// front-end (which has no model) checks the text at submit; the worker that has the model refuses
// a job whose prompts name a banned concept before it runs, with the same message, for global rules
// and a server's list alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterWorker } from '../../src/cluster/cluster-worker.ts';
import { DistributedEngine } from '../../src/cluster/distributed-engine.ts';
import { CONTENT_REFUSAL } from '../../src/engine/content-rules.ts';
import { waitForJob } from '../../src/jobs/api.ts';
import { createLogger } from '../../src/jobs/logger.ts';
import { testConfig } from '../engine/helpers.ts';
import { HAVE_REDIS, TestRedis } from './procs.ts';

const owner = { platform: 'test', userId: 'u1', serverId: 'g1', channelRef: 'c1' };

describe.skipIf(!HAVE_REDIS)('content rules in scale-out (skipped without /usr/bin/redis-server)', () => {
  const redis = new TestRedis();
  let engine: DistributedEngine;
  let worker: ClusterWorker;
  const log = createLogger('silent');

  beforeAll(async () => {
    await redis.start();
    const env = {
      REDIS_URL: redis.url,
      MODEL: 'emoji',
      INTRA_OP_THREADS: '1',
      CLUSTER_LOCK_MS: '2000',
      CONTENT_RULES: 'skull, gun',
      USER_MAX_PENDING: '10',
    };
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

  const run = async (prompt: string) => {
    const r = await engine.submit({ technique: 'imagine', prompt, steps: 1 }, owner);
    if (!r.ok) return r;
    return waitForJob(engine, r.jobId);
  };

  it('the text at submit, the concepts on the worker before the run', async () => {
    expect(await run('a skull_face')).toMatchObject({ ok: false, code: 'content_rule', message: CONTENT_REFUSAL });
    for (const p of ['a totenkopf', 'a 💀', 'a pistol', 'un teschio']) {
      const end = await run(p);
      expect(end, p).toMatchObject({ type: 'failed', message: CONTENT_REFUSAL });
    }
    expect(await run('a rocket')).toMatchObject({ type: 'done' });
  }, 120_000);

  it("a server's list reaches the worker with the job", async () => {
    engine.settings.update('server', 'test', 'g1', { banned: ['dog'] });
    expect(await run('un chien')).toMatchObject({ type: 'failed', message: CONTENT_REFUSAL });
    const elsewhere = await engine.submit({ technique: 'imagine', prompt: 'un chien', steps: 1 }, { ...owner, serverId: 'g2' });
    if (!elsewhere.ok) throw new Error(elsewhere.message);
    expect(await waitForJob(engine, elsewhere.jobId)).toMatchObject({ type: 'done' });
  }, 120_000);
});
