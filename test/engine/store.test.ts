import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { JobResult } from '../../src/jobs/api.ts';
import { JobStore } from '../../src/store/store.ts';

const spec = { technique: 'imagine' as const, prompt: 'cat', seed: 1, steps: 33, guidance: 7 };

describe('job store', () => {
  it('migrates once, keeps jobs across reopen, and lists them FIFO by status', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'diffuse-store-')), 'db', 'jobs.sqlite');
    const s = new JobStore(file);
    expect(s.version()).toBe(3);
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    s.insert({
      jobId: 'job1',
      spec,
      owner: { platform: 'discord', userId: 'u', channelRef: 'c', messageRef: 'm' },
      createdAt: 1,
    });
    s.insert({
      jobId: 'job2',
      spec: { ...spec, seed: 2 },
      owner: { platform: 'slack', userId: 'v' },
      parentId: 'job1',
      createdAt: 2,
    });
    s.insert({ jobId: 'job3', spec, owner: { platform: 'slack', userId: 'v' }, createdAt: 3 });
    s.markStarted('job1', 10);
    s.markDone('job1', { jobId: 'job1' } as JobResult, 20);
    s.markStarted('job3', 30);
    s.close();

    const t = new JobStore(file);
    expect(t.version()).toBe(3);
    expect(t.get('job1')).toMatchObject({
      status: 'done',
      startedAt: 10,
      finishedAt: 20,
      attempts: 1,
      result: { jobId: 'job1' },
    });
    expect(t.get('job1')?.owner).toEqual({
      platform: 'discord',
      userId: 'u',
      channelRef: 'c',
      messageRef: 'm',
    });
    expect(t.get('job2')).toMatchObject({ status: 'queued', parentId: 'job1', spec: { seed: 2 } });
    expect(t.byStatus(['queued', 'running']).map((j) => j.jobId)).toEqual(['job2', 'job3']);
    expect(t.children('job1').map((j) => j.jobId)).toEqual(['job2']);
    expect(t.prunable(21).map((j) => j.jobId)).toEqual(['job1']);
    t.markPruned('job1');
    expect(t.prunable(21)).toEqual([]);
    expect(t.get('nope')).toBeNull();
    t.close();
    rmSync(path.dirname(path.dirname(file)), { recursive: true, force: true });
  });

  it('reads a result stored before results carried their spec: the job spec with its steps and guidance', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'diffuse-store-')), 'jobs.sqlite');
    const s = new JobStore(file);
    const given = { technique: 'imagine' as const, prompt: 'cat', seed: 5 };
    s.insert({ jobId: 'old', spec: given, owner: { platform: 'discord', userId: 'u' }, createdAt: 1 });
    s.markStarted('old', 2);
    const legacy = {
      jobId: 'old',
      technique: 'imagine',
      prompt: 'cat',
      seed: 5,
      steps: 33,
      guidance: 3,
      model: 'emoji',
    };
    s.markDone('old', legacy as unknown as JobResult, 3);
    const current = { jobId: 'new', model: 'emoji', spec: { ...given, steps: 12, guidance: 2 } };
    s.insert({ jobId: 'new', spec: given, owner: { platform: 'discord', userId: 'u' }, createdAt: 4 });
    s.markStarted('new', 5);
    s.markDone('new', current as unknown as JobResult, 6);
    expect(s.get('old')?.result?.spec).toEqual({
      technique: 'imagine',
      prompt: 'cat',
      seed: 5,
      steps: 33,
      guidance: 3,
    });
    expect(s.get('old')?.result).not.toHaveProperty('steps');
    expect(s.get('new')?.result?.spec).toEqual(current.spec);
    s.close();
    rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('keeps uploads that a waiting job still needs', () => {
    const s = new JobStore(':memory:');
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    s.putUpload({ ref: a, width: 1, height: 1, hasAlpha: false, bytes: 10, createdAt: 1 });
    s.putUpload({ ref: b, width: 2, height: 3, hasAlpha: true, bytes: 10, createdAt: 1 });
    s.insert({
      jobId: 'j',
      spec: { ...spec, technique: 'sketch', image: b },
      owner: { platform: 'x', userId: 'y' },
      createdAt: 1,
    });
    expect(s.getUpload(b)).toEqual({ ref: b, width: 2, height: 3, hasAlpha: true, bytes: 10, createdAt: 1 });
    expect(s.prunableUploads(5)).toEqual([a]);
    s.markFailed('j', 'x', 2);
    expect(s.prunableUploads(5).sort()).toEqual([a, b]);
    s.close();
  });

  it('refreshes the age of an upload stored again, so retention keeps it', () => {
    const s = new JobStore(':memory:');
    const a = 'a'.repeat(64);
    s.putUpload({ ref: a, width: 1, height: 1, hasAlpha: false, bytes: 10, createdAt: 1 });
    expect(s.prunableUploads(5)).toEqual([a]);
    s.putUpload({ ref: a, width: 1, height: 1, hasAlpha: false, bytes: 10, createdAt: 100 });
    expect(s.getUpload(a)?.createdAt).toBe(100);
    expect(s.prunableUploads(5)).toEqual([]);
    s.close();
  });
  it('leaves WAL checkpoints to SQLite: committed jobs reach the database file, and a closed store leaves no WAL', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'diffuse-store-'));
    const file = path.join(dir, 'jobs.sqlite');
    const s = new JobStore(file);
    expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    // Enough commits to pass 1000 WAL pages: SQLite checkpoints inside the commit that crosses them.
    for (let i = 0; i < 400; i++)
      s.insert({ jobId: `j${i}`, spec, owner: { platform: 'slack', userId: 'u' }, createdAt: i });
    const copy = path.join(dir, 'copy.sqlite'); // the database file alone, without its WAL
    copyFileSync(file, copy);
    const alone = new Database(copy, { readonly: true });
    const n = (alone.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
    alone.close();
    expect(n).toBeGreaterThan(0);
    s.close();
    expect([existsSync(`${file}-wal`), existsSync(`${file}-shm`)]).toEqual([false, false]);
    const t = new JobStore(file);
    expect(t.byStatus(['queued'])).toHaveLength(400);
    t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the error of a refused write until a write succeeds again', () => {
    const s = new JobStore(':memory:');
    s.insert({ jobId: 'j', spec, owner: { platform: 'x', userId: 'y' }, createdAt: 1 });
    expect(s.writeFailure).toBeNull();
    s.db.pragma('query_only = 1');
    expect(() => s.markStarted('j', 2)).toThrow(/readonly/);
    expect(s.writeFailure).toMatch(/attempt to write a readonly database \(SQLITE_READONLY\)/);
    expect(s.get('j')?.status).toBe('queued'); // reads still work
    s.db.pragma('query_only = 0');
    s.markStarted('j', 3);
    expect(s.writeFailure).toBeNull();
    expect(s.get('j')).toMatchObject({ status: 'running', startedAt: 3 });
    s.close();
  });
});
