// A full disk while jobs run: every job still ends (failed, with a message saying the storage is
// failing), its owner can submit again, and live updates end. Nothing keeps such an end: the store
// still has the job queued or running, reads report it failed, and the next start's recovery
// settles it (RECOVERY). The fault is SQLite's own SQLITE_FULL on the engine's real database file:
// `max_page_count` pins the file at its current size and a temporary trigger makes each job write
// need more pages.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { waitForJob, type JobEvent, type JobOwner, type SubmitResult } from '../../src/jobs/api.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { faultyWorker } from './fixtures/faulty-worker.ts';
import { createLogger } from '../../src/jobs/logger.ts';
import { dbFile } from '../../src/jobs/paths.ts';
import { JobStore } from '../../src/store/store.ts';
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

/** Collects a job's events, calling `onStarted` at its start. */
function watch(engine: LocalEngine, jobId: string, onStarted?: () => void) {
  const events: JobEvent[] = [];
  engine.subscribe(jobId, (e) => {
    events.push(e);
    if (e.type === 'started') onStarted?.();
  });
  return events;
}

const make = (config = testConfig({ USER_MAX_PENDING: '1' }), logged?: string[]) =>
  createEngine(config, {
    defaultMetrics: false,
    storeRetryDelaysMs: [5, 5],
    worker: faultyWorker({ crash: { word: 'crash', atStep: 2 } }),
    ...(logged ? { logger: createLogger('info', lines(logged)) } : {}),
  });

/** A log destination that collects each JSON line. */
function lines(into: string[]): Writable {
  return new Writable({
    write(chunk, _enc, cb) {
      into.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
}

const FULL = "the bot's storage is failing \\(database or disk is full \\(SQLITE_FULL\\)\\)";
const RERUN = '; it will run again when the bot restarts\\.';

describe('a full disk', () => {
  it('fails a running job in memory and frees its owner; the next start runs it again', async () => {
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
      const message = new RegExp(`^This job could not be saved because ${FULL}${RERUN}$`);
      expect(end).toMatchObject({ type: 'failed', message: expect.stringMatching(message) });
      expect(events.at(-1)).toEqual(end); // the live updates end with it
      expect(events.filter((e) => e.type === 'failed')).toHaveLength(1);

      const nextEnd = await waitForJob(engine, next);
      expect(nextEnd).toMatchObject({ type: 'failed', message: expect.stringMatching(message) });
      expect(nextEvents.map((e) => e.type)).not.toContain('started');

      // Nothing was recorded: the store has both jobs as they were, and reads report them failed.
      expect(engine.store.get(jobId)?.status).toBe('running');
      expect(engine.store.get(next)?.status).toBe('queued');
      const saysFailed = expect.stringMatching(new RegExp(`could not be saved.*storage is failing${RERUN}`));
      expect(await engine.get(jobId)).toMatchObject({ status: 'failed', position: null, error: saysFailed });
      expect(await engine.get(next)).toMatchObject({ status: 'failed', position: null });
      expect(await engine.cancel(next, { userId: 'bob', isAdmin: false })).toMatchObject({
        ok: false,
        code: 'not_cancellable',
      });
      expect(await engine.listQueue()).toEqual([]);
      expect(engine.health().ok).toBe(false);
      expect(engine.health().reason).toMatch(/^the job store cannot write: .*SQLITE_FULL/);
      expect(engine.store.writeFailure).toMatch(/SQLITE_FULL/);
      // Alice's slot is free: while the disk is full she is told so (not "you already have a job").
      const refused = await engine.submit(small('again'), alice);
      expect(refused).toMatchObject({ ok: false, code: 'unavailable' });
    } finally {
      await engine.close();
    }
    expect(readdirSync(config.dataDir)).not.toContain('unsaved-job-ends.json'); // no side file
    const raw = new JobStore(dbFile(config.dataDir));
    expect([raw.get(jobId)?.status, raw.get(next)?.status]).toEqual(['running', 'queued']);
    raw.close();

    // RECOVERY=requeue (the default): the next start runs both again, in their order.
    const later = make(config);
    const events: JobEvent[] = [];
    later.subscribeAll((e) => events.push(e));
    await later.start();
    try {
      expect((await waitForJob(later, jobId)).type).toBe('done');
      expect((await waitForJob(later, next)).type).toBe('done');
      expect(events.filter((e) => e.type === 'started').map((e) => e.jobId)).toEqual([jobId, next]);
      expect(later.store.get(jobId)?.attempts).toBe(2);
      const again = accepted(await later.submit(small('again'), alice));
      expect((await waitForJob(later, again)).type).toBe('done');
    } finally {
      await later.close();
    }
  });

  it('keeps the message of a job failing while the disk is full; with RECOVERY=fail the next start reports it', async () => {
    const config = testConfig({ USER_MAX_PENDING: '1', RECOVERY: 'fail' });
    const engine = make(config);
    await engine.start();
    let jobId = '';
    try {
      let undo: (() => void) | null = null;
      jobId = accepted(await engine.submit(small('crash here'), alice));
      watch(engine, jobId, () => (undo ??= fillDisk(engine)));
      const end = await waitForJob(engine, jobId);
      expect(end).toMatchObject({
        type: 'failed',
        message: expect.stringMatching(
          new RegExp(
            `^The inference worker crashed.* This job could not be saved because ${FULL}; please try again later\\.$`,
          ),
        ),
      });
      expect(engine.store.get(jobId)?.status).toBe('running');
      expect(engine.health().ok).toBe(false);

      undo!();
      // Once writes succeed again, so does the health check.
      const again = accepted(await engine.submit(small('a dog'), alice));
      expect(engine.store.writeFailure).toBeNull();
      expect((await waitForJob(engine, again)).type).toBe('done');
      expect(engine.health().ok).toBe(true);
    } finally {
      await engine.close();
    }

    const later = make(config);
    const events: JobEvent[] = [];
    later.subscribeAll((e) => events.push(e));
    await later.start();
    try {
      expect(events.filter((e) => e.jobId === jobId)).toEqual([
        expect.objectContaining({
          type: 'failed',
          recovered: true,
          message: expect.stringMatching(/restarted/),
        }),
      ]);
      expect(later.store.get(jobId)?.status).toBe('failed');
    } finally {
      await later.close();
    }
  });

  it('a cancel the disk cannot record fails the job instead, saying so', async () => {
    const engine = make(testConfig({ USER_MAX_PENDING: '2' }));
    await engine.start();
    try {
      const first = accepted(await engine.submit(small('a red heart'), alice));
      const second = accepted(await engine.submit(small('a cat'), alice));
      const undo = fillDisk(engine);
      expect(await engine.cancel(second, { userId: 'alice', isAdmin: false, platform: 'discord' })).toEqual({
        ok: true,
        status: 'failed',
      });
      expect(await waitForJob(engine, second)).toMatchObject({
        type: 'failed',
        message: expect.stringMatching(new RegExp(`could not be saved because ${FULL}${RERUN}`)),
      });
      expect(engine.store.get(second)?.status).toBe('queued');
      undo();
      await waitForJob(engine, first); // done, or failed if it ended before the undo
    } finally {
      await engine.close();
    }
  });

  it('removes a side file of unsaved ends left by an older version, with one log line', async () => {
    const config = testConfig();
    const file = path.join(config.dataDir, 'unsaved-job-ends.json');
    writeFileSync(file, 'not json');
    const logged: string[] = [];
    const engine = make(config, logged);
    await engine.start();
    await engine.close();
    expect(existsSync(file)).toBe(false);
    const about = logged.map((l) => JSON.parse(l) as { level: number; msg: string; file?: string });
    expect(about.filter((l) => l.file === file)).toEqual([
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/older version/) }),
    ]);
  });
});
