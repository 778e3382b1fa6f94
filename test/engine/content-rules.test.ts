// Content rules at engine submit (global, per server, per channel) and the settings table of the
// job store, including the migration of a version-1 store.
import Database from 'better-sqlite3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.ts';
import { CONTENT_REFUSAL, compileRule, parseRuleList, validateRules } from '../../src/engine/content-rules.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { dbFile } from '../../src/jobs/paths.ts';
import { JobStore } from '../../src/store/store.ts';
import { testConfig } from './helpers.ts';

const owner = { platform: 'discord', userId: 'u1', channelRef: 'c1', serverId: 'g1' };
let engine: LocalEngine | null = null;

afterEach(async () => {
  await engine?.close();
  engine = null;
});

describe('content rules', () => {
  it('words match whole and in any case; /patterns/ are case-insensitive regular expressions', () => {
    const word = compileRule('Zorb');
    expect(word.test('a zorb ship')).toBe(true);
    expect(word.test('ZORB!')).toBe(true);
    expect(word.test('zorbing')).toBe(false);
    const phrase = compileRule('red  ship');
    expect(phrase.test('a red ship')).toBe(true);
    const pattern = compileRule('/ro+cket/');
    expect(pattern.test('a ROOOCKET')).toBe(true);
    expect(parseRuleList('# comment\nzorb, blip\n/a,b/\n')).toEqual(['zorb', 'blip', '/a,b/']);
    expect(validateRules(['/(/'])).toMatchObject({ ok: false });
    // Rules run on a linear-time engine: nested repetition is fine; what needs backtracking
    // (back-references, look-arounds) is refused with the reason.
    expect(validateRules(['/(a+)+$/', '/(\\w*x){2,}/', '/(ab)+c/', '/ro+cket/'])).toMatchObject({ ok: true });
    expect(validateRules(['/(a)\\1/'])).toMatchObject({ ok: false, message: expect.stringContaining('/(a)\\1/ refers back to a group') });
    expect(validateRules(['/x(?=y)/'])).toMatchObject({ ok: false, message: expect.stringContaining('look-ahead or look-behind') });
    expect(validateRules(['/(.?){900}/'])).toMatchObject({ ok: false, message: expect.stringContaining('too large once its repeats are written out') });
    // Lists set in chat take words and phrases only.
    expect(validateRules(['zorb', '/ro+cket/'], { patterns: false })).toMatchObject({ ok: false, message: expect.stringContaining('/ro+cket/ is a pattern') });
    expect(validateRules(['zorb', 'a+b (c)'], { patterns: false })).toEqual({ ok: true, rules: ['zorb', 'a+b (c)'] });
    // Such a phrase is matched literally, never as a pattern.
    expect(compileRule('a+b (c)').test('an A+B  (C) here')).toBe(true);
    expect(compileRule('a+b (c)').test('aab c')).toBe(false);
  });

  it('are checked on every prompt at submit: global, server and channel lists, and a regeneration', async () => {
    engine = createEngine(testConfig({ CONTENT_RULES: 'zorb, /blip+/' }), { defaultMetrics: false });
    const refused = await engine.submit({ technique: 'imagine', prompt: 'a Zorb ship' }, owner);
    expect(refused).toEqual({ ok: false, code: 'content_rule', message: CONTENT_REFUSAL });
    expect(CONTENT_REFUSAL).not.toMatch(/zorb|blip/i);
    const negative = await engine.submit({ technique: 'imagine', prompt: 'a ship', negative: 'blipp' }, owner);
    expect(negative).toMatchObject({ ok: false, code: 'content_rule' });
    const anagram = await engine.submit({ technique: 'anagram', prompt: 'a ship', prompt2: 'zorb' }, owner);
    expect(anagram).toMatchObject({ ok: false, code: 'content_rule' });

    const ok = await engine.submit({ technique: 'imagine', prompt: 'a rocket', seed: 5 }, owner);
    expect(ok.ok).toBe(true);
    if (!ok.ok) return;
    // The server's admins ban "rocket": a regeneration of the earlier job is refused now.
    engine.settings.update('server', 'discord', 'g1', { banned: ['rocket'] });
    expect(await engine.regenerate(ok.jobId, owner)).toMatchObject({ ok: false, code: 'content_rule' });
    // A follow-up with a changed prompt (a child job) passes the same check.
    const child = await engine.submit({ technique: 'imagine', prompt: 'two rockets, one rocket', seed: 6 }, owner, { parentId: ok.jobId });
    expect(child).toMatchObject({ ok: false, code: 'content_rule' });
    // Another server is not bound by g1's list; a channel list binds only its channel.
    const elsewhere = { ...owner, serverId: 'g2', channelRef: 'c2' };
    expect((await engine.submit({ technique: 'imagine', prompt: 'a rocket' }, elsewhere)).ok).toBe(true);
    engine.settings.update('channel', 'discord', 'c2', { banned: ['/moon/'] });
    expect(await engine.submit({ technique: 'imagine', prompt: 'the moon' }, { ...elsewhere, userId: 'u2' })).toMatchObject({ code: 'content_rule' });
    expect((await engine.submit({ technique: 'imagine', prompt: 'the moon' }, { ...elsewhere, userId: 'u3', channelRef: 'c3' })).ok).toBe(true);
  });

  it('a bad global rule or a missing rules file is a bad setting (ConfigError, exit code 2) naming it', () => {
    expect(() => testConfig({ CONTENT_RULES: '/(/' })).toThrow(ConfigError);
    expect(() => testConfig({ CONTENT_RULES: '/(/' })).toThrow(/CONTENT_RULES: \/\(\/ is not a valid pattern/);
    const missing = path.join(tmpdir(), 'no-such-rules-file.txt');
    expect(() => testConfig({ CONTENT_RULES_FILE: missing })).toThrow(/CONTENT_RULES_FILE .*no-such-rules-file\.txt cannot be read/);
  });

  it('a settings store that cannot be read refuses the job (the rules fail closed) and the engine stays up', async () => {
    engine = createEngine(testConfig(), { defaultMetrics: false });
    engine.store.db.exec('DROP TABLE settings');
    expect(await engine.submit({ technique: 'imagine', prompt: 'a ship' }, owner)).toMatchObject({ ok: false, code: 'unavailable' });
    // A job from no server and no channel needs no stored list.
    expect((await engine.submit({ technique: 'imagine', prompt: 'a ship' }, { platform: 'cli', userId: 'u' })).ok).toBe(true);
  });

  it('a rules file adds one rule per line', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'diffuse-rules-')), 'rules.txt');
    writeFileSync(file, '# banned here\nquux\n');
    engine = createEngine(testConfig({ CONTENT_RULES_FILE: file }), { defaultMetrics: false });
    expect(await engine.submit({ technique: 'imagine', prompt: 'a QUUX' }, owner)).toMatchObject({ code: 'content_rule' });
  });
});

describe('settings table', () => {
  it('a version-1 store is migrated to version 2 and its jobs stay readable', () => {
    const { dataDir } = testConfig();
    const file = dbFile(dataDir);
    // A store as the previous release wrote it: schema version 1, one job.
    const old = new Database(file);
    old.exec(
      `CREATE TABLE migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);
       INSERT INTO migrations VALUES (1, 0);
       CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, spec TEXT NOT NULL,
         technique TEXT NOT NULL, platform TEXT NOT NULL, user_id TEXT NOT NULL, channel_ref TEXT, message_ref TEXT,
         status TEXT NOT NULL, parent_id TEXT, created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER,
         error TEXT, result TEXT, attempts INTEGER NOT NULL DEFAULT 0, cancelled_by TEXT, pruned INTEGER NOT NULL DEFAULT 0);
       CREATE TABLE uploads (ref TEXT PRIMARY KEY, width INTEGER NOT NULL, height INTEGER NOT NULL,
         has_alpha INTEGER NOT NULL, bytes INTEGER NOT NULL, created_at INTEGER NOT NULL);`,
    );
    old
      .prepare(`INSERT INTO jobs (id, spec, technique, platform, user_id, status, created_at) VALUES (?, ?, 'imagine', 'slack', 'U1', 'done', 7)`)
      .run('oldjob1', JSON.stringify({ technique: 'imagine', prompt: 'a cat', seed: 3 }));
    old.close();

    const s = new JobStore(file);
    expect(s.version()).toBe(3);
    expect(s.get('oldjob1')).toMatchObject({ jobId: 'oldjob1', status: 'done', spec: { prompt: 'a cat', seed: 3 } });
    s.close();
    // The engine opens it (the start-up store check passes) and keeps settings across a reopen.
    engine = createEngine(testConfig({ DATA_DIR: dataDir }), { defaultMetrics: false });
    engine.settings.update('user', 'slack', 'U1', { steps: 12, private: true });
    engine.settings.update('user', 'slack', 'U1', { private: null });
    expect(engine.settings.get('user', 'slack', 'U1')).toEqual({ steps: 12 });
  });

  it('a version-2 store missing its settings table is refused at start-up', () => {
    const { dataDir } = testConfig();
    new JobStore(dbFile(dataDir)).close();
    const db = new Database(dbFile(dataDir));
    db.exec('DROP TABLE settings');
    db.close();
    expect(() => createEngine(testConfig({ DATA_DIR: dataDir }), { defaultMetrics: false })).toThrow(/wrong schema: tables missing/);
  });
});
