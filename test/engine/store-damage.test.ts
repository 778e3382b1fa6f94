// A job store that is not usable stops start-up with one line naming the file and what to do,
// and the file is left exactly as it was; an empty store next to earlier results is reported.
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.ts';
import { createLogger } from '../../src/jobs/logger.ts';
import { dbFile } from '../../src/jobs/paths.ts';
import { StoreOpenError } from '../../src/store/store-check.ts';
import { JobStore } from '../../src/store/store.ts';
import { testConfig } from './helpers.ts';

const spec = { technique: 'imagine' as const, prompt: 'cat', seed: 1, steps: 33, guidance: 7 };

/** The error createEngine throws for the store at DATA_DIR/jobs.sqlite, after checking the file is untouched. */
function startupError(dataDir: string): StoreOpenError {
  const file = dbFile(dataDir);
  const before = readFileSync(file);
  let caught: unknown = null;
  try {
    createEngine(testConfig({ DATA_DIR: dataDir }), { defaultMetrics: false });
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(StoreOpenError);
  expect(readFileSync(file).equals(before)).toBe(true); // never overwritten
  const message = (caught as StoreOpenError).message;
  expect(message).not.toMatch(/\n/);
  expect(message.startsWith(file)).toBe(true);
  expect(message).toContain(path.join(dataDir, 'backups'));
  return caught as StoreOpenError;
}

/** A real store with `n` jobs, closed. */
function storeWithJobs(dataDir: string, n: number): string {
  const s = new JobStore(dbFile(dataDir));
  for (let i = 0; i < n; i++)
    s.insert({
      jobId: `job${i}`,
      spec: { ...spec, prompt: `cat ${'x'.repeat(400)} ${i}` },
      owner: { platform: 'slack', userId: 'u' },
      createdAt: i,
    });
  s.close();
  return dbFile(dataDir);
}

describe('a damaged job store', () => {
  it('a foreign file is named with what to do', () => {
    const { dataDir } = testConfig();
    writeFileSync(dbFile(dataDir), 'name,score\nalice,3\nbob,5\n'.repeat(50));
    expect(startupError(dataDir).message).toBe(
      `${dbFile(dataDir)} is not a diffuse-bot job store (file is not a database): ` +
        `move it away or restore a backup from ${path.join(dataDir, 'backups')}`,
    );
  });

  it('a half-written store is reported damaged', () => {
    const { dataDir } = testConfig();
    const file = storeWithJobs(dataDir, 400);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    expect(startupError(dataDir).message).toMatch(
      / is damaged \(.*malformed.*\): move it away or restore a backup/,
    );
  });

  it('a store cut inside its header is reported damaged', () => {
    const { dataDir } = testConfig();
    const file = storeWithJobs(dataDir, 1);
    truncateSync(file, 60);
    expect(startupError(dataDir).message).toMatch(/ is damaged /);
  });

  it("another program's SQLite database is not taken over", () => {
    const { dataDir } = testConfig();
    const db = new Database(dbFile(dataDir));
    db.exec(
      "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me')",
    );
    db.close();
    expect(startupError(dataDir).message).toMatch(
      /is not a diffuse-bot job store \(it holds the tables notes, not this bot's\): move it away/,
    );
  });

  it('a store of a newer version is refused, and one missing its columns too', () => {
    const { dataDir } = testConfig();
    const file = storeWithJobs(dataDir, 1);
    const db = new Database(file);
    db.prepare('INSERT INTO migrations (version, applied_at) VALUES (99, 0)').run();
    db.close();
    expect(startupError(dataDir).message).toMatch(
      /written by a newer diffuse-bot \(store version 99, this one knows 3\)/,
    );

    const other = testConfig().dataDir;
    const odd = new Database(dbFile(other));
    odd.exec(
      'CREATE TABLE migrations (version INTEGER PRIMARY KEY, applied_at INTEGER); INSERT INTO migrations VALUES (1, 0);',
    );
    odd.exec('CREATE TABLE jobs (id TEXT); CREATE TABLE uploads (ref TEXT)');
    odd.close();
    expect(startupError(other).message).toMatch(
      /not a diffuse-bot job store \(wrong schema: jobs lacks spec, /,
    );
  });

  it('a directory in place of the store is refused', () => {
    const { dataDir } = testConfig();
    mkdirSync(dbFile(dataDir));
    expect(() => createEngine(testConfig({ DATA_DIR: dataDir }), { defaultMetrics: false })).toThrow(
      /jobs\.sqlite is not a diffuse-bot job store \(not a regular file\)/,
    );
  });

  it('an empty store next to earlier results starts, with a warning naming the files', async () => {
    const { dataDir } = testConfig();
    mkdirSync(path.join(dataDir, 'results', 'abcd1234'), { recursive: true });
    mkdirSync(path.join(dataDir, 'uploads', 'ab'), { recursive: true });
    writeFileSync(dbFile(dataDir), '');
    let logged = '';
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logged += String(chunk);
        cb();
      },
    });
    const engine = createEngine(testConfig({ DATA_DIR: dataDir }), {
      defaultMetrics: false,
      logger: createLogger('info', sink),
    });
    await engine.close();
    const warn = logged
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .find((l) => l.level === 40);
    expect(warn?.msg).toBe(
      `${dbFile(dataDir)} is empty (0 bytes) but ${path.join(dataDir, 'results')} and ${path.join(dataDir, 'uploads')} ` +
        'hold 1 result and 1 upload folders of earlier jobs: starting with an empty job store; ' +
        `no backup exists in ${path.join(dataDir, 'backups')}, so the earlier jobs are lost`,
    );
  });

  it('a fresh data dir starts quietly', () => {
    const { dataDir } = testConfig();
    const s = new JobStore(dbFile(dataDir));
    expect(s.version()).toBe(3);
    s.close();
  });
});
