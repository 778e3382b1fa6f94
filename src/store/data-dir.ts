// Runs in the bot's process (and a scale-out worker).
// Whether DATA_DIR can hold the bot's files: created when missing, then a file written and removed
// in it. A failure is told by its real cause: a recursive mkdir under a read-only or forbidden
// folder reports ENOENT, so the nearest folder that exists is asked why it cannot be written.
import { accessSync, constants, mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const WHY: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'it is a file, not a folder',
};

/** The nearest folder of `dir` (itself or an ancestor) that exists, or null when none can be seen. */
function nearestExisting(dir: string): { path: string; isDir: boolean } | null {
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    try {
      return { path: p, isDir: statSync(p).isDirectory() };
    } catch {
      if (path.dirname(p) === p) return null;
    }
  }
}

/** The error code that says why `dir` could not be made or written, when `code` (a recursive mkdir's ENOENT) hides it. */
export function realCause(dir: string, code: string): string {
  if (code !== 'ENOENT') return code;
  const near = nearestExisting(dir);
  if (!near) return code;
  if (!near.isDir) return 'ENOTDIR';
  try {
    accessSync(near.path, constants.W_OK | constants.X_OK);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? code;
  }
  return code;
}

/** Why DATA_DIR (or a folder in it) cannot be used, in words ("the file system is read-only"), from the error of creating or writing it. */
export function dirProblem(dir: string, err: unknown): string {
  const code = realCause(dir, (err as NodeJS.ErrnoException).code ?? 'error');
  return WHY[code] ?? code;
}

/** Creates DATA_DIR when missing and checks that a file can be written in it; a sentence saying what to do otherwise. */
export function checkDataDir(dir: string): string | null {
  const probe = path.join(dir, `.write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, '');
    unlinkSync(probe);
    return null;
  } catch (err) {
    return `DATA_DIR ${dir} is not writable (${dirProblem(dir, err)}). Point DATA_DIR at a folder this user can write, or fix its permissions.`;
  }
}
