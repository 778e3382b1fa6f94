// The scale-out front-end's health says why it is not ok, as the embedded engine's does: no worker
// serving its model, and Redis unreachable (DATA_DIR's disk goes through the same StorageHealth as
// the embedded engine, tested there).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistributedEngine } from '../../src/cluster/distributed-engine.ts';
import { createLogger } from '../../src/jobs/logger.ts';
import { testConfig } from '../engine/helpers.ts';
import { HAVE_REDIS, TestRedis } from './procs.ts';

describe.skipIf(!HAVE_REDIS)('front-end health (skipped without /usr/bin/redis-server)', () => {
  const redis = new TestRedis();
  let engine: DistributedEngine;

  beforeAll(async () => {
    await redis.start();
    engine = new DistributedEngine(testConfig({ REDIS_URL: redis.url }), { logger: createLogger('silent'), defaultMetrics: false });
    await engine.start();
  }, 60_000);
  afterAll(async () => {
    await engine?.close();
    await redis.close();
  }, 30_000);

  it('names the missing worker, then Redis gone', async () => {
    expect(engine.health()).toMatchObject({ ok: false, reason: 'no worker serves the model test-tiny' });
    await redis.stop();
    await expect.poll(() => engine.health().reason, { timeout: 20_000 }).toMatch(/Redis is unreachable/);
    expect(engine.health().ok).toBe(false);
    await redis.start(); // back, so that the engine closes as usual
    await expect.poll(() => engine.health().reason, { timeout: 20_000 }).toBe('no worker serves the model test-tiny');
  }, 60_000);
});
