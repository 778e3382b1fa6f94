// A stalled inference process (stopped with SIGSTOP mid-job, as a hung driver or a frozen VM would
// leave it) makes the engine's health not ok once it has been silent past INFERENCE_STALL_MS, and
// ok again when it speaks again; the job then ends as usual.
import { describe, expect, it } from 'vitest';
import { waitForJob } from '../../src/jobs/api.ts';
import { createEngine } from '../../src/engine/engine.ts';
import { testConfig } from './helpers.ts';

describe('a stalled inference process', () => {
  it('makes health not ok while it is silent past the stall limit, then ok again', async () => {
    // The tiny model's steps take milliseconds: the job's longest silence stays far under the limit.
    const engine = createEngine(testConfig({ INFERENCE_STALL_MS: '1500' }), {
      defaultMetrics: false,
    });
    await engine.start();
    try {
      const r = await engine.submit(
        { technique: 'imagine', prompt: 'a rocket', seed: 1, steps: 60 },
        { platform: 'playground', userId: 'u' },
      );
      if (!r.ok) throw new Error(r.message);
      await new Promise<void>((resolve) => {
        const off = engine.subscribe(r.jobId, (e) => {
          if (e.type === 'progress') {
            off();
            resolve();
          }
        });
      });
      expect(engine.health()).toMatchObject({ ok: true });
      expect(engine.health().inferenceStalledMs).toBeUndefined();
      const pid = engine.worker.pid ?? -1;
      process.kill(pid, 'SIGSTOP');
      try {
        // The limit is 4x the job's longest silence so far, or INFERENCE_STALL_MS when that is more.
        await expect.poll(() => engine.health().ok, { timeout: 60_000, interval: 250 }).toBe(false);
        expect(engine.health().inferenceStalledMs).toBeGreaterThan(1500);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await expect.poll(() => engine.health().ok, { timeout: 15_000 }).toBe(true);
      expect((await waitForJob(engine, r.jobId)).type).toBe('done');
    } finally {
      await engine.close();
    }
  }, 240_000);
});
