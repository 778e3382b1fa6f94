// Runs in the bot's process. Recovery and retention: at start, the jobs a previous process left
// queued or running (killed, stopped mid-job, or refused their end by a full disk) are queued again
// (or failed, per RECOVERY); result files and uploads older than RETENTION_DAYS are deleted (and a
// deleted result is told as such).
import { existsSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { refusal, type ResultFilesAnswer } from '../jobs/api.ts';
import type { LiveJob, LiveJobs } from './live-jobs.ts';
import type { Logger } from '../jobs/logger.ts';
import { resultDir, uploadFile } from '../jobs/paths.ts';
import { describeWriteError, type JobStore, type StoredJob } from '../store/store.ts';

/** What recovery works with. */
export interface RecoveryContext {
  store: JobStore;
  live: LiveJobs;
  log: Logger;
  /** RECOVERY: run left jobs again ('requeue') or fail them ('fail'). */
  recovery: 'requeue' | 'fail';
  /** Ends a job as failed (recorded, owner told). */
  fail(job: LiveJob, message: string): Promise<void>;
  /** Puts a job back on the device queue. */
  enqueue(job: LiveJob): void;
  /** Tells waiting jobs their positions. */
  announcePositions(): void;
}

/** Re-queues (or fails, per RECOVERY) jobs that a previous process left queued or running. */
export async function recoverJobs(ctx: RecoveryContext): Promise<void> {
  const left = ctx.store.byStatus(['queued', 'running']);
  if (left.length === 0) return;
  let requeued = 0;
  let failed = 0;
  for (const j of left) {
    if (ctx.live.has(j.jobId)) continue;
    const job = ctx.live.add(j.jobId, j.spec, j.owner, j.createdAt);
    const interruptedTwice = j.status === 'running' && j.attempts >= 2;
    if (ctx.recovery === 'fail' || interruptedTwice) {
      const message = interruptedTwice
        ? 'This job was interrupted twice by a restart of the bot, so it was not run again.'
        : 'The bot restarted before this job finished; please submit it again.';
      await ctx.fail(job, message);
      failed++;
    } else {
      try {
        if (j.status === 'running') ctx.store.markQueued(j.jobId);
      } catch (err) {
        ctx.log.warn(
          { jobId: j.jobId, err: describeWriteError(err) },
          'could not mark a recovered job queued',
        );
      }
      ctx.enqueue(job);
      requeued++;
    }
  }
  ctx.announcePositions();
  ctx.log.info({ requeued, failed }, 'recovered jobs from the previous run');
}

/** Deletes the side file of unsaved job ends that older versions wrote to DATA_DIR (logged); recovery settles its jobs. */
export function removeOldSideFile(dataDir: string, log: Logger): void {
  const file = path.join(dataDir, 'unsaved-job-ends.json');
  if (!existsSync(file)) return;
  try {
    rmSync(file, { force: true });
    log.warn(
      { file },
      'removed a file of unsaved job ends left by an older version; recovery settles its jobs',
    );
  } catch (err) {
    log.warn({ file, err: describeWriteError(err) }, 'could not remove a file left by an older version');
  }
}

/** Deletes result files older than `retentionDays` and uploads no waiting job needs; job rows stay (🔁 keeps working). */
export async function pruneOld(
  store: JobStore,
  dataDir: string,
  retentionDays: number,
  now: number,
  log: Logger,
): Promise<{ results: number; uploads: number }> {
  if (retentionDays <= 0) return { results: 0, uploads: 0 };
  const before = now - retentionDays * 86_400_000;
  let results = 0;
  let uploads = 0;
  for (const j of store.prunable(before)) {
    await rm(resultDir(dataDir, j.jobId), { recursive: true, force: true });
    store.markPruned(j.jobId);
    results++;
  }
  for (const ref of store.prunableUploads(before)) {
    await rm(uploadFile(dataDir, ref), { force: true });
    store.deleteUpload(ref);
    uploads++;
  }
  if (results + uploads > 0) log.info({ results, uploads }, 'pruned old results');
  return { results, uploads };
}

/** The result files of a job, or why there are none (not found, not done, deleted by retention). */
export function resultFilesOf(
  jobId: string,
  job: StoredJob | null,
  retentionDays: number,
): ResultFilesAnswer {
  if (!job) return refusal('not_found', `I can't find job ${jobId}.`);
  if (job.status !== 'done' || !job.result)
    return refusal('no_result', `Job ${jobId} has no result (it is ${job.status}).`);
  if (job.pruned || !existsSync(job.result.files.png)) {
    return refusal(
      'no_result',
      `The images of job ${jobId} were deleted after ${retentionDays} days; regenerate it to get a new one.`,
    );
  }
  return { ok: true, files: job.result.files };
}
