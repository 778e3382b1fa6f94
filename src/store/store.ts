// Runs in the bot's process. The durable job store: one SQLite file (better-sqlite3, WAL) under
// DATA_DIR holding each job's spec, owner, message references, status, timings and result files,
// plus stored uploads. SQLite checkpoints the WAL itself (every 1000 pages, inside a commit).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { JobOwner, JobRecord, JobResult, JobStatus } from '../jobs/api.ts';
import type { JobSpec } from '../jobs/spec.ts';
import { SETTINGS_MIGRATION } from './settings-store.ts';
import { checkStoreHeader, checkStoreSchema, openFailure } from './store-check.ts';

/** Schema migrations, applied in order; each runs once (recorded in the migrations table). */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE jobs (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     spec TEXT NOT NULL,
     technique TEXT NOT NULL,
     platform TEXT NOT NULL,
     user_id TEXT NOT NULL,
     channel_ref TEXT,
     message_ref TEXT,
     status TEXT NOT NULL,
     parent_id TEXT,
     created_at INTEGER NOT NULL,
     started_at INTEGER,
     finished_at INTEGER,
     error TEXT,
     result TEXT,
     attempts INTEGER NOT NULL DEFAULT 0,
     cancelled_by TEXT,
     pruned INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX jobs_status ON jobs(status, seq);
   CREATE INDEX jobs_owner ON jobs(platform, user_id, status);
   CREATE INDEX jobs_finished ON jobs(finished_at);
   CREATE TABLE uploads (
     ref TEXT PRIMARY KEY,
     width INTEGER NOT NULL,
     height INTEGER NOT NULL,
     has_alpha INTEGER NOT NULL,
     bytes INTEGER NOT NULL,
     created_at INTEGER NOT NULL
   );`,
  // 2: per-user, per-server and per-channel settings (settings-store.ts).
  SETTINGS_MIGRATION,
  // 3: private jobs (seen by their owner only), and who uploaded each image (its reference is theirs).
  `ALTER TABLE jobs ADD COLUMN private INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE upload_owners (
     ref TEXT NOT NULL,
     platform TEXT NOT NULL,
     user_id TEXT NOT NULL,
     PRIMARY KEY (ref, platform, user_id)
   );`,
];

interface JobRow {
  seq: number;
  id: string;
  spec: string;
  technique: string;
  platform: string;
  user_id: string;
  channel_ref: string | null;
  message_ref: string | null;
  status: JobStatus;
  parent_id: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  error: string | null;
  result: string | null;
  attempts: number;
  cancelled_by: string | null;
  pruned: number;
  private: number;
}

/** A stored job row, decoded (position is filled in by the engine). */
export interface StoredJob extends Omit<JobRecord, 'position'> {
  seq: number;
  attempts: number;
  cancelledBy: string | null;
  pruned: boolean;
}

/** A stored job as get() returns it, with the status and queue position the engine knows now. */
export function recordOf(job: StoredJob, status: JobRecord['status'], position: number | null): JobRecord {
  return {
    jobId: job.jobId,
    spec: job.spec,
    owner: job.owner,
    status,
    parentId: job.parentId,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    error: job.error,
    result: job.result,
    position,
  };
}

export interface UploadRow {
  ref: string;
  width: number;
  height: number;
  hasAlpha: boolean;
  bytes: number;
  createdAt: number;
}

/** Opens (creating if needed) the job database at `file`; applies pending migrations. */
export class JobStore {
  readonly db: Database.Database;
  /** Prepared statements by SQL text: preparing one costs more than running it, and jobs run the same few. */
  private readonly statements = new Map<string, Database.Statement>();
  /** Why the latest write failed ("database or disk is full (SQLITE_FULL)"), or null once one succeeds. */
  writeFailure: string | null = null;

  /** Throws StoreOpenError (one line naming the file and what to do) when `file` is not a usable store; never overwrites it. */
  constructor(readonly file: string) {
    let db: Database.Database | null = null;
    try {
      if (file !== ':memory:') {
        mkdirSync(path.dirname(file), { recursive: true });
        checkStoreHeader(file);
      }
      db = new Database(file);
      // Read-only checks first: nothing is written to a file that turns out not to be ours.
      checkStoreSchema(db, file, MIGRATIONS.length);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      this.db = db;
      this.migrate();
    } catch (err) {
      if (db?.open) db.close();
      throw openFailure(file, err);
    }
  }

  private migrate(): void {
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
    );
    const row = this.db.prepare('SELECT MAX(version) AS v FROM migrations').get() as { v: number | null };
    const done = row.v ?? 0;
    for (let v = done + 1; v <= MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v - 1]);
        this.db.prepare('INSERT INTO migrations (version, applied_at) VALUES (?, ?)').run(v, Date.now());
      })();
    }
  }

  /** The prepared statement of `sql`, prepared on first use. */
  private sql(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Runs a write statement, keeping writeFailure up to date; rethrows the error of a failed write. */
  private write(sql: string, ...params: unknown[]): void {
    try {
      this.sql(sql).run(...params);
      this.writeFailure = null;
    } catch (err) {
      this.writeFailure = describeWriteError(err);
      throw err;
    }
  }

  /** Schema version after migrations. */
  version(): number {
    return (this.sql('SELECT MAX(version) AS v FROM migrations').get() as { v: number }).v;
  }

  /** Inserts a queued job. */
  insert(job: {
    jobId: string;
    spec: JobSpec;
    owner: JobOwner;
    parentId?: string | null;
    createdAt: number;
  }): void {
    this.write(
      `INSERT INTO jobs (id, spec, technique, platform, user_id, channel_ref, message_ref, status, parent_id, created_at, private)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)`,
      job.jobId,
      JSON.stringify(job.spec),
      job.spec.technique,
      job.owner.platform,
      job.owner.userId,
      job.owner.channelRef ?? null,
      job.owner.messageRef ?? null,
      job.parentId ?? null,
      job.createdAt,
      job.owner.private ? 1 : 0,
    );
  }

  /** Marks a job running (counts an attempt). */
  markStarted(jobId: string, at: number): void {
    this.write(
      `UPDATE jobs SET status = 'running', started_at = ?, attempts = attempts + 1 WHERE id = ?`,
      at,
      jobId,
    );
  }

  /** Puts a job back to queued (recovery). */
  markQueued(jobId: string): void {
    this.write(`UPDATE jobs SET status = 'queued', started_at = NULL WHERE id = ?`, jobId);
  }

  markDone(jobId: string, result: JobResult, at: number): void {
    this.write(
      `UPDATE jobs SET status = 'done', finished_at = ?, result = ?, error = NULL WHERE id = ?`,
      at,
      JSON.stringify(result),
      jobId,
    );
  }

  markFailed(jobId: string, message: string, at: number): void {
    this.write(
      `UPDATE jobs SET status = 'failed', finished_at = ?, error = ? WHERE id = ?`,
      at,
      message,
      jobId,
    );
  }

  markCancelled(jobId: string, by: string | null, at: number): void {
    this.write(
      `UPDATE jobs SET status = 'cancelled', finished_at = ?, cancelled_by = ? WHERE id = ?`,
      at,
      by,
      jobId,
    );
  }

  /** Updates the message reference (adapters learn it after their first reply). */
  setMessageRef(jobId: string, messageRef: string): void {
    this.write('UPDATE jobs SET message_ref = ? WHERE id = ?', messageRef, jobId);
  }

  get(jobId: string): StoredJob | null {
    const row = this.sql('SELECT * FROM jobs WHERE id = ?').get(jobId) as JobRow | undefined;
    return row ? decode(row) : null;
  }

  /** Jobs with one of the statuses, in submission (FIFO) order. */
  byStatus(statuses: readonly JobStatus[]): StoredJob[] {
    const q = statuses.map(() => '?').join(', ');
    return (
      this.sql(`SELECT * FROM jobs WHERE status IN (${q}) ORDER BY seq`).all(...statuses) as JobRow[]
    ).map(decode);
  }

  /** Children of a job (regenerations), oldest first. */
  children(jobId: string): StoredJob[] {
    return (this.sql('SELECT * FROM jobs WHERE parent_id = ? ORDER BY seq').all(jobId) as JobRow[]).map(
      decode,
    );
  }

  /** Finished jobs whose results are older than `before` (epoch ms) and not yet pruned. */
  prunable(before: number): StoredJob[] {
    return (
      this.sql(
        `SELECT * FROM jobs WHERE pruned = 0 AND finished_at IS NOT NULL AND finished_at < ? ORDER BY seq`,
      ).all(before) as JobRow[]
    ).map(decode);
  }

  /** Records that a job's result files were deleted. The row (and its spec) stays, so 🔁 still works. */
  markPruned(jobId: string): void {
    this.write('UPDATE jobs SET pruned = 1 WHERE id = ?', jobId);
  }

  putUpload(u: UploadRow): void {
    this.write(
      // A re-upload refreshes created_at, so retention never prunes an image a new job uses.
      'INSERT INTO uploads (ref, width, height, has_alpha, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT(ref) DO UPDATE SET created_at = excluded.created_at',
      u.ref,
      u.width,
      u.height,
      u.hasAlpha ? 1 : 0,
      u.bytes,
      u.createdAt,
    );
  }

  getUpload(ref: string): UploadRow | null {
    const r = this.sql('SELECT * FROM uploads WHERE ref = ?').get(ref) as
      | { ref: string; width: number; height: number; has_alpha: number; bytes: number; created_at: number }
      | undefined;
    return r
      ? {
          ref: r.ref,
          width: r.width,
          height: r.height,
          hasAlpha: r.has_alpha === 1,
          bytes: r.bytes,
          createdAt: r.created_at,
        }
      : null;
  }

  /** Uploads older than `before` that no queued or running job refers to. */
  prunableUploads(before: number): string[] {
    const rows = this.sql('SELECT ref FROM uploads WHERE created_at < ?').all(before) as {
      ref: string;
    }[];
    const live = new Set<string>();
    for (const j of this.byStatus(['queued', 'running'])) {
      if (j.spec.image) live.add(j.spec.image);
      if (j.spec.mask) live.add(j.spec.mask);
    }
    return rows.map((r) => r.ref).filter((r) => !live.has(r));
  }

  /** Records that `owner` uploaded the image `ref` (an upload may have several: the same bytes from several users). */
  addUploadOwner(ref: string, owner: { platform: string; userId: string }): void {
    this.write(
      'INSERT OR IGNORE INTO upload_owners (ref, platform, user_id) VALUES (?, ?, ?)',
      ref,
      owner.platform,
      owner.userId,
    );
  }

  /** Whether `owner` may use the upload `ref`: they uploaded it, or they own a job whose image or mask it is. */
  uploadUsableBy(ref: string, owner: { platform: string; userId: string }): boolean {
    const uploaded = this.sql(
      'SELECT 1 FROM upload_owners WHERE ref = ? AND platform = ? AND user_id = ?',
    ).get(ref, owner.platform, owner.userId);
    if (uploaded) return true;
    const used = this.sql(
      `SELECT 1 FROM jobs WHERE platform = ? AND user_id = ?
         AND (json_extract(spec, '$.image') = ? OR json_extract(spec, '$.mask') = ?) LIMIT 1`,
    ).get(owner.platform, owner.userId, ref, ref);
    return used !== undefined;
  }

  deleteUpload(ref: string): void {
    this.write('DELETE FROM uploads WHERE ref = ?', ref);
    this.write('DELETE FROM upload_owners WHERE ref = ?', ref);
  }

  /** Closes the database; the last connection to close checkpoints the WAL and removes it. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** A short description of a store write error for logs and messages ("database or disk is full (SQLITE_FULL)"). */
export function describeWriteError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && !msg.includes(code) ? `${msg} (${code})` : msg;
}

/** Older rows' results carry no spec of their own: it is the job's spec with their top-level steps and guidance. */
function resultOfRow(text: string, spec: JobSpec): JobResult {
  const raw = JSON.parse(text) as JobResult & { steps?: number; guidance?: number };
  if (raw.spec) return raw;
  const { steps, guidance, ...rest } = raw;
  return {
    ...rest,
    spec: { ...spec, steps: steps ?? spec.steps ?? 0, guidance: guidance ?? spec.guidance ?? 0 },
  };
}

function decode(r: JobRow): StoredJob {
  const spec = JSON.parse(r.spec) as JobSpec;
  return {
    seq: r.seq,
    jobId: r.id,
    spec,
    owner: {
      platform: r.platform,
      userId: r.user_id,
      ...(r.channel_ref !== null ? { channelRef: r.channel_ref } : {}),
      ...(r.message_ref !== null ? { messageRef: r.message_ref } : {}),
      ...(r.private === 1 ? { private: true } : {}),
    },
    status: r.status,
    parentId: r.parent_id,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    error: r.error,
    result: r.result ? resultOfRow(r.result, spec) : null,
    attempts: r.attempts,
    cancelledBy: r.cancelled_by,
    pruned: r.pruned === 1,
  };
}
