// Private jobs and upload references in the engine and the commands (real LocalEngine on the tiny
// model, real /queue and /info): `private` is stored with the job (and a version-2 store migrates,
// its jobs public, its uploads usable by the owners of the jobs using them); another user's
// follow-ups and rerolls of a private job read "not found"; /queue lists it without its id;
// /info shows it only to its owner and admins; an upload reference is usable only by its
// uploaders and by owners of jobs using it.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCommand, runCommand } from '../../commands/index.ts';
import type { CommandReply } from '../../commands/types.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { followUp } from '../../src/engine/follow-ups.ts';
import { waitForJob, type JobOwner } from '../../src/jobs/api.ts';
import { dbFile } from '../../src/jobs/paths.ts';
import { SETTINGS_MIGRATION } from '../../src/store/settings-store.ts';
import { JobStore } from '../../src/store/store.ts';
import { testConfig, testPng } from './helpers.ts';

const alice: JobOwner = { platform: 'discord', userId: 'alice', channelRef: 'c1' };
const bob: JobOwner = { platform: 'discord', userId: 'bob', channelRef: 'c1' };

let engine: LocalEngine;

beforeAll(async () => {
  engine = createEngine(testConfig({ ADMIN_USER_IDS: 'root' }), { defaultMetrics: false });
  await engine.start();
});
afterAll(async () => engine?.close());

/** Runs a command as `who` (an admin when `admin`). */
function command(name: string, options: Record<string, string>, who: JobOwner, admin = false): Promise<CommandReply> {
  return runCommand(getCommand(name)!, {
    engine,
    owner: who,
    actor: { userId: who.userId, isAdmin: admin, platform: who.platform },
    options,
  });
}

/** A finished job of `who`. */
async function finished(spec: object, who: JobOwner): Promise<string> {
  const r = await engine.submit({ steps: 2, seed: 1, ...spec }, who);
  if (!r.ok) throw new Error(r.message);
  const end = await waitForJob(engine, r.jobId);
  if (end.type !== 'done') throw new Error(JSON.stringify(end));
  return r.jobId;
}

describe('private jobs', () => {
  let secret = '';

  beforeAll(async () => {
    secret = await finished({ technique: 'imagine', prompt: 'a secret cat' }, { ...alice, private: true });
  });

  it('are stored as private, and read back so after a reopen of the store', async () => {
    expect((await engine.get(secret))?.owner).toEqual({ ...alice, private: true });
    const again = new JobStore(dbFile(engine.config.dataDir));
    expect(again.get(secret)?.owner.private).toBe(true);
    again.close();
  });

  it('another user cannot follow one up or reroll it: not found, and no job starts', async () => {
    for (const action of ['u', 'vs', 're', 'zo2', 'pl'] as const)
      expect(await followUp(engine, secret, action, 1, bob)).toEqual({
        ok: false,
        code: 'not_found',
        message: `I can't find job ${secret}.`,
      });
    expect(await engine.regenerate(secret, bob)).toMatchObject({ ok: false, code: 'not_found' });
    expect(await engine.cancel(secret, { userId: 'bob', isAdmin: false, platform: 'discord' })).toMatchObject({
      ok: false,
      code: 'not_found',
    });
    // A follow-up spec naming it as its source, submitted directly: not found either.
    const forged = await engine.submit(
      { technique: 'sketch', prompt: 'x', steps: 2, noiseLevel: 1, source: { parent: secret, candidate: 1, count: 1, action: 'vs' } },
      bob,
    );
    expect(forged).toMatchObject({ ok: false, code: 'not_found' });
    expect(engine.store.children(secret)).toEqual([]);
  });

  it('its owner can; their follow-ups and rerolls are private too', async () => {
    const v = await followUp(engine, secret, 'vs', 1, alice);
    if (!v.ok) throw new Error(v.message);
    const re = await engine.regenerate(secret, alice);
    if (!re.ok) throw new Error(re.message);
    for (const id of [v.jobId, re.jobId]) {
      expect((await engine.get(id))?.owner.private).toBe(true);
      await waitForJob(engine, id);
    }
  });

  it('/info shows it to its owner and to an admin, and "not found" to anyone else', async () => {
    expect(await command('info', { job: secret }, bob)).toEqual({
      kind: 'refusal',
      message: `I can't find job ${secret}.`,
      code: 'not_found',
    });
    const own = await command('info', { job: secret }, alice);
    expect(own.kind === 'text' && own.text).toContain('prompt "a secret cat"');
    const admin = await command('info', { job: secret }, { platform: 'discord', userId: 'mod' }, true);
    expect(admin.kind === 'text' && admin.text).toContain('prompt "a secret cat"');
    // A public follow-up of it names it in its lineage without its id to others.
    const child = await engine.submit({ technique: 'imagine', prompt: 'open', steps: 2 }, alice, { parentId: secret });
    if (!child.ok) throw new Error(child.message);
    await waitForJob(engine, child.jobId);
    const lineage = await command('info', { job: child.jobId }, bob);
    expect(lineage.kind === 'text' && lineage.text).toContain('Lineage: new seed of a private job');
    expect(lineage.kind === 'text' && lineage.text).not.toContain(secret);
  });

  it('/queue lists another user\'s private job without its id; its owner sees the id', async () => {
    // A long job runs first so that the private one waits in the queue.
    const first = await engine.submit({ technique: 'imagine', prompt: 'a dog', steps: 20 }, bob);
    const hidden = await engine.submit({ technique: 'imagine', prompt: 'a hidden boat', steps: 2 }, { ...alice, private: true });
    if (!first.ok || !hidden.ok) throw new Error('refused');
    const seen = await command('queue', {}, bob);
    if (seen.kind !== 'queue') throw new Error(seen.kind);
    expect(seen.text).toContain('a private job');
    expect(JSON.stringify(seen)).not.toContain(hidden.jobId);
    expect(seen.entries.find((e) => e.owner.private)).toMatchObject({ jobId: '', owner: { userId: '' } });
    expect(seen.text).toContain(first.jobId);
    const own = await command('queue', {}, alice);
    expect(own.kind === 'queue' && own.text).toContain(`\`${hidden.jobId}\` (yours)`);
    await waitForJob(engine, first.jobId);
    await waitForJob(engine, hidden.jobId);
  });
});

describe('upload references', () => {
  it('are usable by their uploader only (refused to others as if they did not exist)', async () => {
    const up = await engine.storeUpload(await testPng(48, 40), alice);
    if (!up.ok) throw new Error(up.message);
    const spec = { technique: 'noise', image: up.ref, t: [1], seed: 1 };
    expect(await engine.submit(spec, bob)).toEqual({
      ok: false,
      code: 'bad_image',
      message: 'I no longer have the image of that request; attach it again.',
    });
    expect(await engine.submit(spec, { ...alice, platform: 'slack' })).toMatchObject({ ok: false, code: 'bad_image' });
    const own = await engine.submit(spec, alice);
    expect(own.ok).toBe(true);
    if (own.ok) await waitForJob(engine, own.jobId);
  });

  it("a reroll of another user's public job may use that job's upload; the reference alone may not", async () => {
    const up = await engine.storeUpload(await testPng(40, 40), alice);
    if (!up.ok) throw new Error(up.message);
    const job = await finished({ technique: 'noise', image: up.ref, t: [1] }, alice);
    const re = await engine.regenerate(job, bob);
    expect(re.ok).toBe(true);
    if (re.ok) await waitForJob(engine, re.jobId);
    // Bob now owns a job using it: the reference is usable by him as well.
    expect((await engine.submit({ technique: 'noise', image: up.ref, t: [1], seed: 2 }, bob)).ok).toBe(true);
  });
});

describe('a version-2 store', () => {
  it('migrates to version 3: its jobs are public, its uploads usable by the owners of jobs using them', () => {
    const { dataDir } = testConfig();
    const file = dbFile(dataDir);
    const old = new Database(file);
    old.exec(
      `CREATE TABLE migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
       INSERT INTO migrations VALUES (1, 0), (2, 0);
       CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, spec TEXT NOT NULL,
         technique TEXT NOT NULL, platform TEXT NOT NULL, user_id TEXT NOT NULL, channel_ref TEXT, message_ref TEXT,
         status TEXT NOT NULL, parent_id TEXT, created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,
         error TEXT, result TEXT, attempts INTEGER NOT NULL DEFAULT 0, cancelled_by TEXT, pruned INTEGER NOT NULL DEFAULT 0);
       CREATE TABLE uploads (ref TEXT PRIMARY KEY, width INTEGER NOT NULL, height INTEGER NOT NULL,
         has_alpha INTEGER NOT NULL, bytes INTEGER NOT NULL, created_at INTEGER NOT NULL);
       ${SETTINGS_MIGRATION}`,
    );
    old
      .prepare(`INSERT INTO jobs (id, spec, technique, platform, user_id, status, created_at) VALUES (?, ?, 'sketch', 'slack', 'U1', 'done', 7)`)
      .run('oldjob1', JSON.stringify({ technique: 'sketch', prompt: 'a cat', seed: 3, image: 'ab'.repeat(32) }));
    old.prepare('INSERT INTO uploads VALUES (?, 48, 40, 0, 100, 7)').run('ab'.repeat(32));
    old.close();

    const s = new JobStore(file);
    expect(s.version()).toBe(3);
    expect(s.get('oldjob1')?.owner).toEqual({ platform: 'slack', userId: 'U1' });
    expect(s.uploadUsableBy('ab'.repeat(32), { platform: 'slack', userId: 'U1' })).toBe(true);
    expect(s.uploadUsableBy('ab'.repeat(32), { platform: 'slack', userId: 'U2' })).toBe(false);
    s.close();
  });
});
