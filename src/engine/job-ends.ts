// Runs in the bot's process. How a job ends: its end is recorded in the store (a refused write is
// retried briefly), then its subscribers are told and its slots freed. When the store still
// refuses (a full or failing disk), the job ends in memory all the same, as failed with a message
// saying why (a result or a cancel that cannot be recorded too), and nothing keeps it. The store
// still has it queued or running, so reads report it failed (job-reads.ts) and the next start's
// recovery settles it like a job of a killed process (recovery.ts).
import type { JobResult } from '../jobs/api.ts';
import type { EventHub } from './events.ts';
import type { LiveJob, LiveJobs } from './live-jobs.ts';
import type { Logger } from '../jobs/logger.ts';
import type { EngineMetrics } from '../jobs/metrics.ts';
import { describeWriteError, type JobStore } from '../store/store.ts';

/** Details of an end: the result (done), the message and metrics reason (failed), who cancelled. */
export interface EndDetails {
  result?: JobResult;
  message?: string;
  reason?: string;
  by?: string | null;
  /** The job failed because of a restart (recovery). */
  recovered?: boolean;
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

/** The owner's message for a job whose end the store refused; `why` is the write error, when known. */
export function storeFailureMessage(why: string | null, rerunAfterRestart: boolean): string {
  const cause = why ? `the bot's storage is failing (${why})` : "the bot's storage is failing";
  const next = rerunAfterRestart ? 'it will run again when the bot restarts.' : 'please try again later.';
  return `This job could not be saved because ${cause}; ${next}`;
}

/** Records and announces job ends. */
export class JobEnds {
  constructor(
    private readonly store: JobStore,
    private readonly live: LiveJobs,
    private readonly events: EventHub,
    private readonly metrics: EngineMetrics,
    private readonly log: Logger,
    private readonly retryDelaysMs: readonly number[],
    /** Whether the next start runs again a job left queued or running (RECOVERY=requeue); said in the message. */
    readonly rerunAfterRestart = false,
  ) {}

  /** Ends a job: records it in the store (with retries), then tells subscribers and frees its slots. Never throws. */
  async finish(job: LiveJob, status: 'done' | 'failed' | 'cancelled', d: EndDetails): Promise<void> {
    if (!this.live.holds(job)) return;
    const at = Date.now();
    const refused = await retryWrite(() => {
      if (status === 'done' && d.result) this.store.markDone(job.jobId, d.result, at);
      else if (status === 'failed') this.store.markFailed(job.jobId, d.message ?? 'failed', at);
      else this.store.markCancelled(job.jobId, d.by ?? null, at);
    }, this.retryDelaysMs);
    // Not recorded: after a restart neither a result nor a cancel would be found, so the job fails.
    if (refused !== null)
      return this.endInMemory(
        job,
        refused,
        status === 'failed' ? { message: d.message, reason: d.reason } : {},
      );
    if (!this.live.holds(job)) return; // ended meanwhile
    const { jobId, owner } = job;
    this.live.remove(job);
    if (status === 'done' && d.result) {
      this.events.emit({ type: 'done', jobId, owner, result: d.result });
    } else if (status === 'failed') {
      this.metrics.failures.inc({ reason: d.reason ?? 'error' });
      const message = d.message ?? 'failed';
      this.events.emit({
        type: 'failed',
        jobId,
        owner,
        message,
        ...(d.recovered ? { recovered: true } : {}),
      });
    } else {
      this.events.emit({ type: 'cancelled', jobId, owner, by: d.by ?? null });
    }
    this.metrics.jobs.inc({ technique: job.spec.technique, status });
  }

  /**
   * Fails a job whose start or end the store refused to record (a full disk), in memory only: the
   * owner is told the storage is failing (after the job's own failure message, if any), its slots
   * are freed and its live updates end. Nothing is kept for later.
   */
  endInMemory(job: LiveJob, err: unknown, d: { message?: string; reason?: string } = {}): void {
    if (!this.live.holds(job)) return;
    const why = describeWriteError(err);
    this.log.error(
      { jobId: job.jobId, err: why },
      'the job store refused to record this job, so it failed in memory; the next start settles it (RECOVERY)',
    );
    this.live.remove(job);
    const saved = storeFailureMessage(why, this.rerunAfterRestart);
    const message = d.message ? `${d.message} ${saved}` : saved;
    this.metrics.failures.inc({ reason: d.reason ?? 'store' });
    this.events.emit({ type: 'failed', jobId: job.jobId, owner: job.owner, message });
    this.metrics.jobs.inc({ technique: job.spec.technique, status: 'failed' });
  }
}
