// Runs in the bot's process.
// Checks made before the job store is used: a file that is not a diffuse-bot store (foreign,
// half-written, damaged, newer) stops start-up with one line naming it; it is never overwritten.
// An empty or missing store next to the results of earlier jobs is reported.
import type Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { dirProblem } from './data-dir.ts';

/** The job store cannot be used; `message` is one line naming the file and what to do. */
export class StoreOpenError extends Error {
  override readonly name = 'StoreOpenError';
}

/** The folder of the store's online backups: DATA_DIR/backups. */
export function backupsDir(storeFile: string): string {
  return path.join(path.dirname(storeFile), 'backups');
}

const MAGIC = 'SQLite format 3\0';

/** Tables of schema version 1 (version 2 adds settings) and the jobs columns the store reads. */
const OWN_TABLES = ['jobs', 'uploads', 'migrations'];
const JOB_COLUMNS = ['id', 'spec', 'technique', 'platform', 'user_id', 'status', 'created_at', 'result'];

function restoreHint(file: string): string {
  return `move it away or restore a backup from ${backupsDir(file)}`;
}

function notAStore(file: string, why: string): StoreOpenError {
  return new StoreOpenError(`${file} is not a diffuse-bot job store (${why}): ${restoreHint(file)}`);
}

/** Before opening: a non-empty file must start with SQLite's header. Throws StoreOpenError. */
export function checkStoreHeader(file: string): void {
  if (!existsSync(file)) return;
  const st = statSync(file);
  if (!st.isFile()) throw notAStore(file, 'not a regular file');
  if (st.size === 0) return;
  const head = Buffer.alloc(MAGIC.length);
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n < MAGIC.length || head.toString('latin1') !== MAGIC) throw notAStore(file, 'file is not a database');
}

/** After opening, before migrating: the file reads back whole and holds this bot's tables (or none). */
export function checkStoreSchema(db: Database.Database, file: string, knownVersion: number): void {
  const check = db.pragma('quick_check(1)', { simple: true });
  if (check !== 'ok') throw damaged(file, String(check));
  const tables = (
    db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as {
      name: string;
    }[]
  ).map((t) => t.name);
  if (tables.length === 0) return; // a new (or empty) database
  if (!tables.includes('migrations') || !tables.includes('jobs')) {
    const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', ...' : '');
    throw notAStore(file, `it holds the tables ${shown}, not this bot's`);
  }
  const row = db.prepare('SELECT MAX(version) AS v FROM migrations').get() as { v: number | null };
  const version = row.v ?? 0;
  if (version > knownVersion) {
    throw new StoreOpenError(
      `${file} was written by a newer diffuse-bot (store version ${version}, this one knows ${knownVersion}): ` +
        `run the newer bot, or ${restoreHint(file)}`,
    );
  }
  const cols = new Set((db.pragma('table_info(jobs)') as { name: string }[]).map((c) => c.name));
  const missing = JOB_COLUMNS.filter((c) => !cols.has(c));
  const own = version >= 2 ? [...OWN_TABLES, 'settings'] : OWN_TABLES;
  if (version >= 1 && (missing.length > 0 || !own.every((t) => tables.includes(t)))) {
    throw notAStore(
      file,
      `wrong schema: ${missing.length ? `jobs lacks ${missing.join(', ')}` : 'tables missing'}`,
    );
  }
}

/** The one-line error for a SQLite failure while opening `file`. */
export function openFailure(file: string, err: unknown): StoreOpenError {
  if (err instanceof StoreOpenError) return err;
  const code = (err as { code?: unknown }).code;
  const msg = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_NOTADB') return notAStore(file, msg);
  if (code === 'SQLITE_CORRUPT' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT')))
    return damaged(file, msg);
  // A system error (a folder that cannot be made, a read-only disk) in words, by its real cause.
  const why = typeof code === 'string' && /^E[A-Z]+$/.test(code) ? dirProblem(path.dirname(file), err) : msg;
  return new StoreOpenError(
    `${file} cannot be opened (${why}): check that DATA_DIR exists and the bot may read and write it`,
  );
}

function damaged(file: string, why: string): StoreOpenError {
  return new StoreOpenError(
    `${file} is damaged (${why.split('\n')[0]}): ${restoreHint(file)} (copy it over ${path.basename(file)})`,
  );
}

/** Counts entries of a folder (0 if missing). */
function countEntries(dir: string): number {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}

/**
 * When the store is missing or empty but DATA_DIR holds results or uploads of earlier jobs, a
 * one-line warning naming them and the newest backup; null otherwise. Call before opening.
 */
export function orphanWarning(file: string): string | null {
  const exists = existsSync(file);
  if (exists && statSync(file).size > 0) return null;
  const dir = path.dirname(file);
  const results = countEntries(path.join(dir, 'results'));
  const uploads = countEntries(path.join(dir, 'uploads'));
  if (results + uploads === 0) return null;
  const backups = listBackupFiles(backupsDir(file));
  const newest = backups.at(-1);
  return (
    `${file} is ${exists ? 'empty (0 bytes)' : 'missing'} but ${path.join(dir, 'results')} and ` +
    `${path.join(dir, 'uploads')} hold ${results} result and ${uploads} upload folders of earlier jobs: ` +
    `starting with an empty job store; ` +
    (newest
      ? `to get the job history back, stop the bot and copy ${newest} over ${file}`
      : `no backup exists in ${backupsDir(file)}, so the earlier jobs are lost`)
  );
}

/** Backup files in `dir` (jobs-<UTC time>.sqlite), oldest first; full paths. */
export function listBackupFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^jobs-\d{8}T\d{6}(?:\d{3})?Z\.sqlite$/.test(n))
    .sort()
    .map((n) => path.join(dir, n));
}
