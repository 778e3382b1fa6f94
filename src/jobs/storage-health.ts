// Runs in the bot's process (and a scale-out front-end).
// The storage side of /healthz: whether DATA_DIR's disk can take what the bot writes there
// (uploads, results, the job store), from the failures of those writes and the disk's free space,
// and the one-line reason a health answer gives when it is not ok.
import { statfsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';

/** Free bytes below which DATA_DIR's disk counts as full (an upload of the default 10 MiB limit and its job's results fit under it). */
export const MIN_FREE_BYTES = 16 * 1024 * 1024;

/** Why a write to the bot's storage failed, in words for a user, or null for an error that is not about the storage (a bug, a bad argument). */
export function storageFailure(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'SQLITE_FULL':
      return "the bot's disk is full";
    case 'EROFS':
      return "the bot's storage is read-only";
    case 'EACCES':
    case 'EPERM':
      return 'the bot may not write to its storage';
    case 'EIO':
    case 'SQLITE_IOERR':
      return "the bot's storage is failing";
    default:
      return null;
  }
}

function mib(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Free bytes of the disk holding a folder, or null when that cannot be told (statfs unavailable, the folder gone). */
export type FreeBytes = (dir: string) => number | null;

const statfsFree: FreeBytes = (dir) => {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
};

/**
 * The state of DATA_DIR's disk for /healthz: not ok while its free space is under MIN_FREE_BYTES, and
 * after a write there failed (no space, a quota, read-only) until a later write succeeds or room for
 * that write and the floor has been made since. The free space is read at most once a second.
 */
export class StorageHealth {
  private failure: { why: string; bytes: number; freeThen: number } | null = null;
  private cached: { at: number; free: number | null } | null = null;

  constructor(
    private readonly dir: string,
    private readonly freeBytes: FreeBytes = statfsFree,
    private readonly minFree = MIN_FREE_BYTES,
  ) {}

  /** Writes a file under DATA_DIR (the one place uploads are written; a test's subclass makes it fail as a full disk does). */
  async writeFile(file: string, bytes: Uint8Array): Promise<void> {
    await writeFile(file, bytes);
  }

  /** Records a failed write of `bytes` bytes and why it failed (storageFailure's words). */
  noteFailure(why: string, bytes: number): void {
    const free = this.freeBytes(this.dir);
    this.cached = { at: Date.now(), free };
    this.failure = { why, bytes, freeThen: free ?? 0 };
  }

  /** Records a write that succeeded: the storage takes writes again. */
  noteSuccess(): void {
    this.failure = null;
  }

  /** Why the storage cannot take the bot's writes now, or null. */
  problem(now = Date.now()): string | null {
    if (!this.cached || now - this.cached.at >= 1000) this.cached = { at: now, free: this.freeBytes(this.dir) };
    const free = this.cached.free;
    // Room made since the failure (files removed, the disk grown) for that write and the floor clears it.
    if (this.failure && free !== null && free >= this.failure.freeThen + this.failure.bytes + this.minFree) this.failure = null;
    if (this.failure) return `a write to DATA_DIR failed: ${this.failure.why}${free !== null ? ` (${mib(free)} free)` : ''}`;
    if (free !== null && free < this.minFree) return `DATA_DIR's disk is nearly full: ${mib(free)} free (at least ${mib(this.minFree)} needed)`;
    return null;
  }
}

/** The conditions of a health answer, in the order their reasons are given. */
export interface HealthConditions {
  closing: boolean;
  workerAlive: boolean;
  workerError?: string | null;
  storeWriteFailure: string | null;
  stalledMs: number | null;
  storage: string | null;
}

/** Why a health answer is not ok (its reasons joined by "; "), or null when it is ok. */
export function healthReason(c: HealthConditions): string | null {
  const reasons: string[] = [];
  if (c.closing) reasons.push('shutting down');
  if (!c.workerAlive) reasons.push('the inference process is not running');
  if (c.workerError) reasons.push(`the model could not be loaded: ${c.workerError.split('\n')[0]}`);
  if (c.storeWriteFailure) reasons.push(`the job store cannot write: ${c.storeWriteFailure}`);
  if (c.stalledMs !== null) reasons.push(`the inference process has been silent for ${Math.round(c.stalledMs / 1000)} s during a job`);
  if (c.storage) reasons.push(c.storage);
  return reasons.length ? reasons.join('; ') : null;
}
