// The store's WAL checkpoints run on their own thread (store-checkpoint.ts): the main connection
// never checkpoints while that thread runs, the thread copies committed pages into the database
// file, the main connection checkpoints automatically again once the thread is gone, and a closed
// store leaves no WAL behind.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreCheckpointer } from '../../src/store/store-checkpoint.ts';
import { JobStore } from '../../src/store/store.ts';

const spec = { technique: 'imagine' as const, prompt: 'cat', seed: 1, steps: 33, guidance: 7 };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'diffuse-ckpt-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Jobs in a copy of the database file alone (without its WAL): only checkpointed pages are there. */
function jobsInMainFile(file: string): number {
  const copy = path.join(dir, `copy-${Date.now()}-${Math.random()}.sqlite`);
  copyFileSync(file, copy);
  const db = new Database(copy, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('store checkpoints off the main thread', () => {
  it('the main connection does not checkpoint; the thread copies committed jobs into the database file', async () => {
    const file = path.join(dir, 'jobs.sqlite');
    const s = new JobStore(file);
    expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    for (let i = 0; i < 40; i++) {
      s.insert({ jobId: `j${i}`, spec, owner: { platform: 'slack', userId: 'u' }, createdAt: i });
    }
    await expect.poll(() => jobsInMainFile(file), { timeout: 10_000, interval: 200 }).toBe(40);
    s.close();
    // The thread's connection closes first: the main one, closed last, removes the WAL and its index.
    expect([existsSync(`${file}-wal`), existsSync(`${file}-shm`)]).toEqual([false, false]);
  });

  it('a thread that cannot open the store hands checkpoints back to the main connection', async () => {
    const db = new Database(path.join(dir, 'main.sqlite'));
    db.pragma('journal_mode = WAL');
    const c = new StoreCheckpointer(db, path.join(dir, 'missing', 'nothing.sqlite'));
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await expect
      .poll(() => db.pragma('wal_autocheckpoint', { simple: true }), { timeout: 10_000 })
      .toBe(1000);
    c.stop();
    db.close();
  });

  it('stop() gives checkpoints back to the main connection at once', () => {
    const file = path.join(dir, 'jobs.sqlite');
    const s = new JobStore(file);
    const c = new StoreCheckpointer(s.db, file);
    c.stop();
    expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    s.close();
  });
});
