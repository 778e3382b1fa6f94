// WAL checkpoints copy the store's write-ahead log into the database file and sync it to disk:
// 5-12 ms each on a 2-core machine, once per 1000 pages written (about every 100 jobs). SQLite runs
// them inside the commit that crosses the threshold, which would be on the main thread. Instead,
// the store turns automatic checkpoints off and this worker thread, with its own connection to
// the same file, runs a passive checkpoint (one that never waits for, nor blocks, the main
// connection) every second. If the thread cannot start or stops, the main connection checkpoints
// automatically again. Closing the store closes the thread's connection first.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** The thread's code: plain CommonJS, so it needs no TypeScript loader. */
const THREAD = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.lib);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const tick = () => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} };
const timer = setInterval(tick, workerData.everyMs);
const closed = new Int32Array(workerData.closed);
parentPort.on('message', () => {
  clearInterval(timer);
  try { db.close(); } finally { Atomics.store(closed, 0, 1); Atomics.notify(closed, 0); parentPort.close(); }
});
`;

const AUTO_PAGES = 1000; // SQLite's default wal_autocheckpoint

/** Runs the store's checkpoints off the main thread; stop() ends it. */
export class StoreCheckpointer {
  private worker: Worker | null;
  /** Set to 1 by the thread once its connection is closed. */
  private readonly closed = new Int32Array(new SharedArrayBuffer(4));

  constructor(
    private readonly db: Database.Database,
    file: string,
    everyMs = 1000,
  ) {
    const lib = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(THREAD, {
      eval: true,
      workerData: { lib, file, everyMs, closed: this.closed.buffer },
    });
    this.worker.unref();
    db.pragma('wal_autocheckpoint = 0');
    this.worker.on('error', () => undefined);
    this.worker.on('exit', () => {
      if (this.worker && this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTO_PAGES}`);
      this.worker = null;
    });
  }

  /**
   * Stops the thread and waits (at most 2 s) until its connection is closed, so that the main
   * connection, closed next, is the last one: it checkpoints and removes the WAL, and no file in
   * the data folder changes after the store is closed. The main connection checkpoints
   * automatically again.
   */
  stop(): void {
    const w = this.worker;
    if (!w) return;
    this.worker = null;
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${AUTO_PAGES}`);
    w.postMessage('stop');
    Atomics.wait(this.closed, 0, 0, 2000);
  }
}
