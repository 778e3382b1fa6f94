// The scale-out front end holds no model: Engine.understand refuses, saying where the answer is.
import { afterAll, describe, expect, it } from 'vitest';
import { DistributedEngine } from '../../src/cluster/distributed-engine.ts';
import { createLogger } from '../../src/jobs/logger.ts';
import { testConfig } from '../engine/helpers.ts';

describe('DistributedEngine.understand', () => {
  // Never started: nothing here talks to Redis.
  const engine = new DistributedEngine(testConfig({ REDIS_URL: 'redis://127.0.0.1:1' }), { logger: createLogger('silent'), defaultMetrics: false });
  afterAll(async () => {
    await engine.close();
  });

  it('refuses clearly: the workers read prompts, and the job reply says what was understood', async () => {
    const r = await engine.understand('a rocket ship');
    expect(r).toMatchObject({ ok: false, code: 'unavailable' });
    expect(r.ok ? '' : r.message).toMatch(/scale-out workers; the job's reply says what it understood/);
  });
});
