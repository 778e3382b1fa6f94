// Online backups of the job store: made, rotated to STORE_BACKUPS, valid stores with the jobs in
// them, made stepwise (the event loop keeps turning), and restorable by copying over jobs.sqlite.
import { copyFileSync, existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { backupName, backupTime, StoreBackups } from '../../src/store/backup.ts';
import { createEngine } from '../../src/engine/engine.ts';
import { dbFile } from '../../src/jobs/paths.ts';
import { JobStore } from '../../src/store/store.ts';
import { testConfig } from './helpers.ts';

const spec = { technique: 'imagine' as const, prompt: 'cat', seed: 1, steps: 33, guidance: 7 };

function storeWithJobs(n: number, from = 0): JobStore {
  const s = new JobStore(dbFile(testConfig().dataDir));
  addJobs(s, n, from);
  return s;
}

function addJobs(s: JobStore, n: number, from = 0): void {
  for (let i = from; i < from + n; i++)
    s.insert({
      jobId: `job${i}`,
      spec: { ...spec, seed: i },
      owner: { platform: 'slack', userId: 'u' },
      createdAt: i,
    });
}

describe('store backups', () => {
  it('are valid stores holding the jobs, and only the newest N are kept', async () => {
    const store = storeWithJobs(3);
    store.markStarted('job0', 5);
    const backups = new StoreBackups(store, { keep: 2, everyHours: 24 });
    const first = await backups.backupNow();
    expect(first).not.toBeNull();
    expect(path.dirname(first!)).toBe(path.join(path.dirname(store.file), 'backups'));
    const copy = new JobStore(first!);
    expect(copy.byStatus(['queued', 'running']).map((j) => [j.jobId, j.status])).toEqual([
      ['job0', 'running'],
      ['job1', 'queued'],
      ['job2', 'queued'],
    ]);
    copy.close();

    addJobs(store, 1, 3);
    const made = [first!];
    for (let i = 0; i < 3; i++) made.push((await backups.backupNow())!);
    expect(new Set(made).size).toBe(4); // distinct names even within one millisecond
    expect(backups.list()).toEqual(made.slice(-2));
    expect(existsSync(first!)).toBe(false);
    const newest = new JobStore(made.at(-1)!);
    expect(newest.get('job3')?.status).toBe('queued');
    newest.close();
    store.close();
  });

  it('copy a page batch per event-loop turn, while jobs keep being written', async () => {
    const store = storeWithJobs(300);
    const backups = new StoreBackups(store, { keep: 1, everyHours: 24, pagesPerStep: 2 });
    let turns = 0;
    let writing = true;
    const tick = (): void => {
      turns++;
      if (writing) {
        addJobs(store, 1, 1000 + turns);
        setImmediate(tick);
      }
    };
    setImmediate(tick);
    const file = await backups.backupNow();
    writing = false;
    expect(file).not.toBeNull();
    expect(turns).toBeGreaterThan(5);
    const copy = new JobStore(file!);
    expect(copy.get('job299')).not.toBeNull();
    copy.close();
    store.close();
  });

  it('start makes one only when the newest is older than the interval; 0 disables', async () => {
    const store = storeWithJobs(1);
    const backups = new StoreBackups(store, { keep: 3, everyHours: 24 });
    await backups.start();
    expect(backups.list()).toHaveLength(1);
    await backups.stop();

    const again = new StoreBackups(store, { keep: 3, everyHours: 24 });
    await again.start();
    expect(again.list()).toHaveLength(1); // the newest is fresh
    await again.stop();

    const old = (Date.now() - 25 * 3_600_000) / 1000;
    utimesSync(again.list()[0], old, old);
    const third = new StoreBackups(store, { keep: 3, everyHours: 24 });
    await third.start();
    expect(third.list()).toHaveLength(2);
    await third.stop();

    const off = new StoreBackups(storeWithJobs(1), { keep: 0, everyHours: 24 });
    await off.start();
    expect(await off.backupNow()).toBeNull();
    expect(existsSync(off.dir)).toBe(false);
    store.close();
  });

  it('a failed backup is logged, returns null and never throws', async () => {
    const store = storeWithJobs(1);
    const errors: string[] = [];
    const log = {
      error: (_o: unknown, m: string) => errors.push(m),
      info: () => undefined,
      warn: () => undefined,
    };
    const backups = new StoreBackups(store, { keep: 2, everyHours: 24 }, log as never);
    writeFileSync(backups.dir, 'in the way'); // the backups folder cannot be made
    expect(await backups.backupNow()).toBeNull();
    expect(errors).toEqual(['backup of the job store failed; the earlier backups are kept']);
    rmSync(backups.dir);
    mkdirSync(backups.dir);
    writeFileSync(path.join(backups.dir, `${backupName(new Date(0))}.part`), 'left by a killed run');
    expect(await backups.backupNow()).not.toBeNull();
    expect(backups.list()).toHaveLength(1);
    expect(backupTime(backups.list()[0])).toBeGreaterThan(0);
    store.close();
  });

  it('the engine backs up at start, and a backup copied over a damaged store restores the jobs', async () => {
    const config = testConfig({ STORE_BACKUPS: '2' });
    const seed = new JobStore(dbFile(config.dataDir));
    addJobs(seed, 2);
    seed.markDone('job0', { jobId: 'job0' } as never, 9);
    seed.markFailed('job1', 'boom', 9);
    seed.close();
    const engine = createEngine(config, { defaultMetrics: false });
    await engine.start();
    await vi.waitFor(() => expect(engine.backups.list()).toHaveLength(1), { timeout: 20_000 });
    const [backup] = engine.backups.list();
    await engine.close();

    // The README's restore: stop the bot, remove the damaged store and its -wal/-shm, copy the backup over it.
    const file = dbFile(config.dataDir);
    writeFileSync(file, 'garbage'.repeat(100));
    expect(() => createEngine(config, { defaultMetrics: false })).toThrow(/is not a diffuse-bot job store/);
    for (const f of [`${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    copyFileSync(backup, file);
    const restored = createEngine(config, { defaultMetrics: false });
    try {
      expect((await restored.get('job0'))?.status).toBe('done');
      expect((await restored.get('job1'))?.error).toBe('boom');
    } finally {
      await restored.close();
    }
  });
});
