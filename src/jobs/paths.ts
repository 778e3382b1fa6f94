// Shared by the bot's process, the inference process and the CLI.
// Where the engine keeps its files under DATA_DIR.
import path from 'node:path';

/** The job database file. */
export function dbFile(dataDir: string): string {
  return path.join(dataDir, 'jobs.sqlite');
}

/** A stored upload, by its sha256 (fanned out by the first two hex digits). */
export function uploadFile(dataDir: string, ref: string): string {
  if (!/^[0-9a-f]{64}$/.test(ref)) throw new RangeError('bad upload reference');
  return path.join(dataDir, 'uploads', ref.slice(0, 2), ref);
}

/** The result folder of a job. */
export function resultDir(dataDir: string, jobId: string): string {
  if (!/^[a-z0-9]{4,32}$/.test(jobId)) throw new RangeError('bad job id');
  return path.join(dataDir, 'results', jobId);
}

/** A finished job's raw result (the picture at the model's resolution, every candidate in its grid): what a follow-up starts from. */
export function rawResultFile(dataDir: string, jobId: string): string {
  return path.join(resultDir(dataDir, jobId), 'raw.png');
}
