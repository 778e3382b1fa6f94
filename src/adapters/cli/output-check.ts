// Output paths of the CLI (-o, --gif) checked before the job runs, so that a path that cannot
// be written fails at once with one line instead of after minutes of sampling.
import { constants } from 'node:fs';
import { access, realpath, stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from './errors.ts';

/** Free bytes below which a folder is reported as full (a result PNG and a GIF fit well under it). */
const MIN_FREE_BYTES = 16 * 1024 * 1024;

/** stat, or null when the path cannot be reached (missing, a file in the way, no permission). */
async function statOrNull(p: string) {
  try {
    return await stat(p);
  } catch {
    return null;
  }
}

/** Why `path` cannot be written, or null when it can: an existing directory, device, pipe or socket (but /dev/null), a missing or unwritable parent, a full disk. */
export async function outputProblem(path: string): Promise<string | null> {
  const abs = resolve(path);
  const st = await statOrNull(abs);
  if (st?.isDirectory()) return 'is a directory; give a file name';
  // A device, pipe or socket may refuse the bytes only after the run (/dev/full: no space, ever);
  // /dev/null, which takes anything, is the one such path kept for throwing the result away.
  if (st && !st.isFile() && (await realpath(abs).catch(() => abs)) !== '/dev/null')
    return 'is not a regular file (a device, pipe or socket); give a file name';
  // The folders that do not exist yet are created; the nearest one that does must be a writable directory.
  let dir = dirname(abs);
  let dst = await statOrNull(dir);
  while (!dst && dirname(dir) !== dir) {
    dir = dirname(dir);
    dst = await statOrNull(dir);
  }
  if (!dst?.isDirectory()) return `cannot be created: '${dir}' is not a directory`;
  try {
    await access(st ? abs : dir, constants.W_OK | (st ? 0 : constants.X_OK));
  } catch {
    return st ? 'is not writable' : `cannot be created: the folder '${dir}' is not writable`;
  }
  try {
    const fs = await statfs(dir);
    if (fs.bavail * fs.bsize < MIN_FREE_BYTES) return `cannot be written: the disk holding '${dir}' is full`;
  } catch {
    // statfs is not available everywhere; the write itself will tell.
  }
  return null;
}

/** Checks the PNG path (`-o`, or the default name when `pngGiven` is false) and the GIF path before a run; throws a UsageError naming the flag and the problem. */
export async function checkOutputs(paths: { png: string; pngGiven: boolean; gif?: string }): Promise<void> {
  const checks: [string, string][] = [[paths.pngGiven ? '-o' : 'the result file', paths.png]];
  if (paths.gif !== undefined) {
    checks.push(['--gif', paths.gif]);
    if (resolve(paths.gif) === resolve(paths.png))
      throw new UsageError(`--gif '${paths.gif}' is the same file as the PNG; give another name`);
  }
  for (const [flag, p] of checks) {
    const problem = await outputProblem(p);
    if (problem) throw new UsageError(`${flag} '${p}' ${problem}`);
  }
}
