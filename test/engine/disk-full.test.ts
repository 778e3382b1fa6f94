// A full disk while jobs run: every job still ends (failed, with a clear message), its owner can
// submit again, live updates end, and a restart does not bring the job back as queued.
// The fault is SQLite's own SQLITE_FULL on the engine's real database file: `max_page_count`
// pins the file at its current size and a temporary trigger makes each job write need more pages.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { waitForJob, type JobEvent, type JobOwner, type SubmitResult } from '../../src/jobs/api.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { faultyWorker } from './fixtures/faulty-worker.ts';
import { dbFile } from '../../src/jobs/paths.ts';
import { JobStore } from '../../src/store/store.ts';
import { unsavedFile } from '../../src/store/unsaved.ts';
import { testConfig } from './helpers.ts';

const alice: JobOwner = { platform: 'discord', userId: 'alice', channelRef: 'c1' };
const bob: JobOwner = { platform: 'slack', userId: 'bob' };
const small = (prompt: string, seed = 1) => ({ technique: 'imagine', prompt, seed, steps: 3 });

/** Fills the "disk": from now on every insert or update of a job fails with SQLITE_FULL. Returns the undo. */
function fillDisk(engine: LocalEngine): () => void {
  const db = engine.store.db;
  db.exec('CREATE TABLE IF NOT EXISTS disk_filler (b BLOB)');
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
  db.exec(`
    CREATE TEMP TRIGGER fill_update AFTER UPDATE ON main.jobs
      BEGIN INSERT INTO main.disk_filler VALUES (zeroblob(200000)); END;
    CREATE TEMP TRIGGER fill_insert AFTER INSERT ON main.jobs
      BEGIN INSERT INTO main.disk_filler VALUES (zeroblob(200000)); END;`);
  return () => {
    db.exec('DROP TRIGGER temp.fill_update; DROP TRIGGER temp.fill_insert');
    db.pragma('max_page_count = 1073741823');
  };
}

function accepted(r: SubmitResult): string {
  if (!r.ok) throw new Error(`refused: ${r.message}`);
  return r.jobId;
}

/** Collects a job's events; `ended` resolves at its first terminal event. */
function watch(engine: LocalEngine, jobId: string, onStarted?: () => void) {
  const events: JobEvent[] = [];
  engine.subscribe(jobId, (e) => {
    events.push(e);
    if (e.type === 'started') onStarted?.();
  });
  return events;
}

const make = (config = testConfig({ USER_MAX_PENDING: '1' })) =>
  createEngine(config, {
    defaultMetrics: false,
    storeRetryDelaysMs: [5, 5],
    worker: faultyWorker({ crash: { word: 'crash', atStep: 2 } }),
  });

describe('a full disk', () => {
  it('ends a running job failed, frees its owner, and keeps it failed across a restart', async () => {
    const config = testConfig({ USER_MAX_PENDING: '1' });
    const engine = make(config);
    await engine.start();
    let undo: (() => void) | null = null;
    let jobId = '';
    let next = '';
    try {
      jobId = accepted(await engine.submit(small('a red heart'), alice));
      // Bob's job waits behind Alice's; it must not start (nor hang) while the disk is full.
      next = accepted(await engine.submit(small('a cat'), bob));
      const events = watch(engine, jobId, () => (undo ??= fillDisk(engine)));
      const nextEvents = watch(engine, next);
      const end = await waitForJob(engine, jobId);
      expect(undo).not.toBeNull();
      expect(end).toMatchObject({
        type: 'failed',
        message: expect.stringMatching(
          /could not be saved.*storage.*database or disk is full \(SQLITE_FULL\)/,
        ),
      });
      expect(events.at(-1)).toEqual(end); // the live updates end with it
      expect(events.filter((e) => e.type === 'failed')).toHaveLength(1);

      const nextEnd = await waitForJob(engine, next);
      expect(nextEnd).toMatchObject({ type: 'failed', message: expect.stringMatching(/could not be saved/) });
      expect(nextEvents.map((e) => e.type)).not.toContain('started');

      expect(await engine.get(jobId)).toMatchObject({ status: 'failed', position: null });
      expect(await engine.listQueue()).toEqual([]);
      expect(engine.health().ok).toBe(false);
      // Alice's slot is free: while the disk is full she is told so (not "you already have a job").
      const refused = await engine.submit(small('again'), alice);
      expect(refused).toMatchObject({ ok: false, code: 'unavailable' });
      expect(engine.store.get(jobId)?.status).toBe('running'); // not recorded yet
    } finally {
      await engine.close(); // the disk is still full: the end goes to the side file
    }
    expect(existsSync(unsavedFile(config.dataDir))).toBe(true);
    const raw = new JobStore(dbFile(config.dataDir));
    expect(raw.get(next)?.status).toBe('queued');
    raw.close();

    const later = make(config);
    const events: JobEvent[] = [];
    later.subscribeAll((e) => events.push(e));
    await later.start();
    try {
      expect(await later.get(jobId)).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/could not be saved/),
      });
      expect((await later.get(next))?.status).toBe('failed');
      expect(existsSync(unsavedFile(config.dataDir))).toBe(false);
      expect(events.filter((e) => e.jobId === jobId || e.jobId === next)).toEqual([]); // not run again
      expect(await waitForJob(later, jobId)).toMatchObject({ type: 'failed' });
      const again = accepted(await later.submit(small('again'), alice));
      expect((await waitForJob(later, again)).type).toBe('done');
    } finally {
      await later.close();
    }
  });

  it('keeps the message of a job failing while the disk is full, and records it once there is room', async () => {
    const engine = make();
    await engine.start();
    try {
      let undo: (() => void) | null = null;
      const jobId = accepted(await engine.submit(small('crash here'), alice));
      watch(engine, jobId, () => (undo ??= fillDisk(engine)));
      const end = await waitForJob(engine, jobId);
      expect(end).toMatchObject({ type: 'failed', message: expect.stringMatching(/worker crashed/) });
      expect(engine.store.get(jobId)?.status).toBe('running');
      expect(engine.flushUnsaved()).toBe(1); // still full

      undo!();
      expect(engine.flushUnsaved()).toBe(0);
      expect(engine.store.get(jobId)).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/crashed/),
      });
      expect(engine.health().ok).toBe(true);
      const again = accepted(await engine.submit(small('a dog'), alice));
      expect((await waitForJob(engine, again)).type).toBe('done');
    } finally {
      await engine.close();
    }
  });

  it('a cancel the disk cannot record still cancels', async () => {
    const engine = make(testConfig({ USER_MAX_PENDING: '2' }));
    await engine.start();
    try {
      const first = accepted(await engine.submit(small('a red heart'), alice));
      const second = accepted(await engine.submit(small('a cat'), alice));
      const undo = fillDisk(engine);
      expect(await engine.cancel(second, { userId: 'alice', isAdmin: false, platform: 'discord' })).toEqual({
        ok: true,
        status: 'cancelled',
      });
      expect((await engine.get(second))?.status).toBe('cancelled');
      expect(await waitForJob(engine, second)).toMatchObject({ type: 'cancelled', by: 'alice' });
      undo();
      await waitForJob(engine, first); // done, or failed if it ended before the undo
      expect(engine.flushUnsaved()).toBe(0);
      expect(engine.store.get(second)?.status).toBe('cancelled');
    } finally {
      await engine.close();
    }
  });
});
