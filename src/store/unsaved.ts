// Job ends the store could not record (a full or failing disk). The engine ends such a job in
// memory at once; these ends are written to the store as soon as it accepts writes again, and at
// shutdown any still unsaved go to a small side file that the next start applies before recovery,
// so an ended job is not run again as if it were still queued.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JobStore } from './store.ts';

/** An end of a job that the store has not recorded yet. */
export interface UnsavedEnd {
  jobId: string;
  status: 'failed' | 'cancelled';
  /** The failure message (failed) shown to the owner. */
  message: string;
  /** Who cancelled (cancelled). */
  by: string | null;
  at: number;
}

/** The side file of ends still unsaved at shutdown. */
export function unsavedFile(dataDir: string): string {
  return path.join(dataDir, 'unsaved-job-ends.json');
}

/** Runs a store write, retrying after each of `delaysMs`; resolves null once it succeeds, or the last error. */
export async function retryWrite(write: () => void, delaysMs: readonly number[]): Promise<unknown> {
  let last: unknown = null;
  for (let i = 0; i <= delaysMs.length; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, delaysMs[i - 1]));
    try {
      write();
      return null;
    } catch (err) {
      last = err;
    }
  }
  return last;
}

/** A short description of a store write error for logs and messages ("database or disk is full (SQLITE_FULL)"). */
export function describeWriteError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && !msg.includes(code) ? `${msg} (${code})` : msg;
}

/** Writes one end to the store, unless the store already has the job ended. */
function record(store: JobStore, e: UnsavedEnd): void {
  const now = store.get(e.jobId);
  if (!now || (now.status !== 'queued' && now.status !== 'running')) return;
  if (e.status === 'failed') store.markFailed(e.jobId, e.message, e.at);
  else store.markCancelled(e.jobId, e.by, e.at);
}

/** The in-memory set of unsaved ends, with retries into the store. */
export class UnsavedEnds {
  private readonly ends = new Map<string, UnsavedEnd>();

  /** Remembers an end to write later. */
  add(e: UnsavedEnd): void {
    this.ends.set(e.jobId, e);
  }

  /** The unsaved end of a job, or undefined. */
  get(jobId: string): UnsavedEnd | undefined {
    return this.ends.get(jobId);
  }

  get size(): number {
    return this.ends.size;
  }

  /** Tries to write every unsaved end; returns how many are still unsaved. */
  flush(store: JobStore): number {
    for (const e of [...this.ends.values()]) {
      try {
        record(store, e);
        this.ends.delete(e.jobId);
      } catch {
        break; // the store still refuses writes; try again later
      }
    }
    return this.ends.size;
  }

  /** Writes the still unsaved ends to the side file (best effort); returns whether it was written. */
  saveFile(dataDir: string): boolean {
    if (this.ends.size === 0) return true;
    const file = unsavedFile(dataDir);
    let previous: UnsavedEnd[] = [];
    try {
      previous = JSON.parse(readFileSync(file, 'utf8')) as UnsavedEnd[];
    } catch {
      // none yet
    }
    const all = new Map(previous.map((e) => [e.jobId, e]));
    for (const e of this.ends.values()) all.set(e.jobId, e);
    const tmp = `${file}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify([...all.values()]));
      renameSync(tmp, file);
      return true;
    } catch {
      rmSync(tmp, { force: true });
      return false;
    }
  }

  /** Applies (and removes) a side file left by the previous run; returns the job ids recorded. */
  static applyFile(store: JobStore, dataDir: string): string[] {
    const file = unsavedFile(dataDir);
    let ends: UnsavedEnd[];
    try {
      ends = JSON.parse(readFileSync(file, 'utf8')) as UnsavedEnd[];
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ENOENT') rmSync(file, { force: true }); // unreadable: nothing to apply
      return [];
    }
    const done: string[] = [];
    for (const e of Array.isArray(ends) ? ends : []) {
      if (typeof e?.jobId !== 'string' || (e.status !== 'failed' && e.status !== 'cancelled')) continue;
      record(store, {
        jobId: e.jobId,
        status: e.status,
        message: String(e.message ?? 'failed'),
        by: e.by ?? null,
        at: Number(e.at) || Date.now(),
      });
      done.push(e.jobId);
    }
    rmSync(file, { force: true });
    return done;
  }
}
