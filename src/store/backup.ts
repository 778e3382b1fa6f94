// Runs in the bot's process.
// Online backups of the job store: SQLite's backup API through better-sqlite3 (db.backup copies
// a page batch per event-loop turn, so the main thread is never held for long), every
// STORE_BACKUP_HOURS, into DATA_DIR/backups/jobs-<UTC time>.sqlite, keeping the newest
// STORE_BACKUPS copies. A failed backup (a full disk) leaves the earlier ones in place.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../jobs/logger.ts';
import { backupsDir, listBackupFiles } from './store-check.ts';
import type { JobStore } from './store.ts';

/** Options of StoreBackups. */
export interface BackupOptions {
  /** Copies to keep; 0 disables backups. */
  keep: number;
  /** Hours between two backups. */
  everyHours: number;
  /** Pages copied per event-loop turn (default 100). */
  pagesPerStep?: number;
}

/** The backup file name for time `at`: jobs-20260102T030405678Z.sqlite (sorts by time). */
export function backupName(at: Date): string {
  return `jobs-${at.toISOString().replace(/[-:.]/g, '')}.sqlite`;
}

/** The time (epoch ms) in a backup's name, or 0. */
export function backupTime(file: string): number {
  const m = /jobs-(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)(\d{3})?Z\.sqlite$/.exec(file);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +(m[7] ?? 0)) : 0;
}

/** Periodic online backups of one JobStore. */
export class StoreBackups {
  readonly dir: string;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<string | null> | null = null;
  private stopped = false;

  constructor(
    private readonly store: JobStore,
    private readonly options: BackupOptions,
    private readonly log?: Logger,
  ) {
    this.dir = backupsDir(store.file);
  }

  /** Existing backups, oldest first (full paths). */
  list(): string[] {
    return listBackupFiles(this.dir);
  }

  /** Time of the newest backup (its file's modification time), or null. */
  newestAt(): number | null {
    const newest = this.list().at(-1);
    if (!newest) return null;
    try {
      return statSync(newest).mtimeMs;
    } catch {
      return null;
    }
  }

  /**
   * Schedules backups: one now if the newest is older than the interval (or none exists), then
   * one per interval. Resolves once the start-up backup (if any) is done; never rejects.
   */
  async start(): Promise<void> {
    if (this.options.keep <= 0 || this.stopped) return;
    const every = this.options.everyHours * 3_600_000;
    const newest = this.newestAt();
    if (newest === null || Date.now() - newest >= every) await this.backupNow();
    else this.schedule(newest + every - Date.now());
    if (this.timer === null) this.schedule(every);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        void this.backupNow().finally(() => {
          if (this.timer === null) this.schedule(this.options.everyHours * 3_600_000);
        });
      },
      Math.max(0, Math.min(ms, 2_147_000_000)),
    );
    this.timer.unref();
  }

  /** Makes one backup now and drops the oldest beyond `keep`; resolves to its path, or null if it failed (logged). */
  backupNow(): Promise<string | null> {
    if (this.running) return this.running;
    this.running = this.copy().finally(() => (this.running = null));
    return this.running;
  }

  private async copy(): Promise<string | null> {
    if (!this.store.db.open || this.options.keep <= 0) return null;
    const newest = this.list().at(-1);
    // Names sort by time: never reuse or go before the newest name (two backups in one ms, a clock set back).
    const at = Math.max(Date.now(), newest ? backupTime(newest) + 1 : 0);
    const file = path.join(this.dir, backupName(new Date(at)));
    const tmp = `${file}.part`;
    try {
      mkdirSync(this.dir, { recursive: true });
      // Parts left by a run killed mid-backup.
      for (const n of readdirSync(this.dir))
        if (n.endsWith('.part')) rmSync(path.join(this.dir, n), { force: true });
      const pages = this.options.pagesPerStep ?? 100;
      await this.store.db.backup(tmp, { progress: () => pages });
      renameSync(tmp, file);
    } catch (err) {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // nothing was written there
      }
      this.log?.error(
        { file, err: err instanceof Error ? err.message : String(err) },
        'backup of the job store failed; the earlier backups are kept',
      );
      return null;
    }
    this.rotate();
    this.log?.info({ file }, 'job store backed up');
    return file;
  }

  /** Deletes the oldest backups beyond `keep`. */
  private rotate(): void {
    const all = this.list();
    for (const old of all.slice(0, Math.max(0, all.length - this.options.keep))) {
      try {
        rmSync(old, { force: true });
        rmSync(`${old}-wal`, { force: true });
        rmSync(`${old}-shm`, { force: true });
      } catch (err) {
        this.log?.warn({ file: old, err: String(err) }, 'could not delete an old backup');
      }
    }
  }

  /** Stops the schedule and waits for a backup in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
