// Restart recovery with a real SQLite file and a bot process killed with SIGKILL mid-job.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { waitForJob, type JobEvent } from '../../src/jobs/api.ts';
import { createEngine } from '../../src/engine/engine.ts';
import { dbFile } from '../../src/jobs/paths.ts';
import { JobStore } from '../../src/store/store.ts';
import { MODELS_DIR, ROOT, testConfig } from './helpers.ts';

/** Runs the child bot until its first job is running, then kills it; returns the job ids it submitted. */
async function runAndKill(dataDir: string): Promise<string[]> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'test/engine/fixtures/recovery-child.ts'), dataDir, MODELS_DIR],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  try {
    const lines = createInterface({ input: child.stdout });
    const [line] = (await once(lines, 'line', { signal: AbortSignal.timeout(30_000) })) as [string];
    const { ids } = JSON.parse(line) as { ids: string[] };
    child.kill('SIGKILL');
    expect(await exited).toEqual([null, 'SIGKILL']);
    return ids;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('restart recovery', () => {
  it('runs again, in their order, the jobs a killed process left running or queued', async () => {
    const config = testConfig();
    const ids = await runAndKill(config.dataDir);
    const store = new JobStore(dbFile(config.dataDir));
    expect(ids.map((id) => store.get(id)?.status)).toEqual(['running', 'queued', 'queued']);
    expect(store.get(ids[1])?.owner).toEqual({ platform: 'discord', userId: 'u2', channelRef: 'ch1' });
    store.close();

    const engine = createEngine(config, { defaultMetrics: false });
    const events: JobEvent[] = [];
    engine.subscribeAll((e) => events.push(e));
    await engine.start();
    try {
      const ends = await Promise.all(ids.map((id) => waitForJob(engine, id)));
      expect(ends.map((e) => e.type)).toEqual(['done', 'done', 'done']);
      expect(events.filter((e) => e.type === 'started').map((e) => e.jobId)).toEqual(ids);
      expect(events.find((e) => e.type === 'queued' && e.jobId === ids[2])).toMatchObject({
        owner: { userId: 'u3', channelRef: 'ch2' },
      });
      expect(engine.store.get(ids[0])?.attempts).toBe(2);
      expect(engine.store.get(ids[1])?.attempts).toBe(1);
    } finally {
      await engine.close();
    }
    // After yet another restart, results are still there by job id, and a subscriber learns the end.
    const later = createEngine(config, { defaultMetrics: false });
    try {
      expect(await waitForJob(later, ids[0])).toMatchObject({
        type: 'done',
        result: { jobId: ids[0], spec: { seed: 0 } },
      });
      expect(await later.resultFiles(ids[0])).toMatchObject({ ok: true, files: { png: expect.stringMatching(new RegExp(`${ids[0]}/image\\.png$`)) } });
    } finally {
      await later.close();
    }
  }, 120_000);

  it('with RECOVERY=fail, reports each interrupted job failed to its channel', async () => {
    const config = testConfig({ RECOVERY: 'fail' });
    const ids = await runAndKill(config.dataDir);
    const engine = createEngine(config, { defaultMetrics: false });
    const failed: JobEvent[] = [];
    engine.subscribeAll((e) => {
      if (e.type === 'failed') failed.push(e);
    });
    await engine.start();
    try {
      expect(failed.map((e) => e.jobId)).toEqual(ids);
      expect(failed[0]).toEqual({
        type: 'failed',
        jobId: ids[0],
        owner: { platform: 'discord', userId: 'u1', channelRef: 'ch0' },
        message: 'The bot restarted before this job finished; please submit it again.',
        recovered: true,
      });
      expect(ids.map((id) => engine.store.get(id)?.status)).toEqual(['failed', 'failed', 'failed']);
      // A later subscriber still learns how each job ended.
      expect(await waitForJob(engine, ids[2])).toMatchObject({ type: 'failed', recovered: true });
      expect(await engine.listQueue()).toEqual([]);
    } finally {
      await engine.close();
    }
  }, 120_000);
});
