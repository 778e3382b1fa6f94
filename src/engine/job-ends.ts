// How a job ends: its end is recorded in the store (with retries), then its subscribers are told
// and its slots freed. An end the store refuses (a full disk) is kept as an unsaved end: the job
// ends in memory at once and is recorded once the store accepts writes again.
import type { JobResult } from '../jobs/api.ts';
import type { EventHub } from './events.ts';
import type { LiveJob, LiveJobs } from './live-jobs.ts';
import type { Logger } from '../jobs/logger.ts';
import type { EngineMetrics } from '../jobs/metrics.ts';
import type { JobStore, StoredJob } from '../store/store.ts';
import { describeWriteError, retryWrite, UnsavedEnds } from '../store/unsaved.ts';

/** Details of an end: the result (done), the message and metrics reason (failed), who cancelled. */
export interface EndDetails {
  result?: JobResult;
  message?: string;
  reason?: string;
  by?: string | null;
  /** The job failed because of a restart (recovery). */
  recovered?: boolean;
}

/** Records and announces job ends. */
export class JobEnds {
  /** Job ends the store could not record yet; retried, then saved aside at close. */
  readonly unsaved = new UnsavedEnds();
  private unsavedTimer: NodeJS.Timeout | null = null;
  /** Set at close: no more retry timer. */
  closing = false;

  constructor(
    private readonly store: JobStore,
    private readonly live: LiveJobs,
    private readonly events: EventHub,
    private readonly metrics: EngineMetrics,
    private readonly log: Logger,
    private readonly retryDelaysMs: readonly number[],
  ) {}

  /** Ends a job: records it in the store (with retries), then tells subscribers and frees its slots. Never throws. */
  async finish(job: LiveJob, status: 'done' | 'failed' | 'cancelled', d: EndDetails): Promise<void> {
    if (!this.live.holds(job)) return;
    const at = Date.now();
    const unsaved = await retryWrite(() => {
      if (status === 'done' && d.result) this.store.markDone(job.jobId, d.result, at);
      else if (status === 'failed') this.store.markFailed(job.jobId, d.message ?? 'failed', at);
      else this.store.markCancelled(job.jobId, d.by ?? null, at);
    }, this.retryDelaysMs);
    // A result the store cannot record ends as failed: after a restart it could not be found.
    if (unsaved !== null)
      return this.endUnsaved(job, unsaved, {
        status: status === 'cancelled' ? 'cancelled' : 'failed',
        ...(status === 'failed' ? { message: d.message ?? 'failed', reason: d.reason } : {}),
        by: d.by ?? null,
      });
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
   * Ends a job whose end the store refused to record (a full disk), or whose run threw: in memory
   * at once (owner told, slots freed, live updates closed), in the store once it accepts writes.
   */
  endUnsaved(
    job: LiveJob,
    err: unknown,
    d: { status: 'failed' | 'cancelled'; message?: string; reason?: string; by?: string | null },
  ): void {
    if (!this.live.holds(job)) return;
    const why = describeWriteError(err);
    const message =
      d.message ??
      `This job could not be saved because the bot's storage is failing (${why}); please try again later.`;
    this.log.error(
      { jobId: job.jobId, err: why },
      'job ended in memory: its run threw or the job store refused a write (retried until it accepts writes)',
    );
    this.unsaved.add({ jobId: job.jobId, status: d.status, message, by: d.by ?? null, at: Date.now() });
    this.live.remove(job);
    if (d.status === 'failed') {
      this.metrics.failures.inc({ reason: d.reason ?? 'store' });
      this.events.emit({ type: 'failed', jobId: job.jobId, owner: job.owner, message });
    } else this.events.emit({ type: 'cancelled', jobId: job.jobId, owner: job.owner, by: d.by ?? null });
    this.metrics.jobs.inc({ technique: job.spec.technique, status: d.status });
    if (this.flushUnsaved() > 0 && !this.unsavedTimer && !this.closing) {
      this.unsavedTimer = setInterval(() => this.flushUnsaved(), 30_000).unref();
    }
  }

  /** Writes the job ends the store refused earlier; returns how many are still unsaved. */
  flushUnsaved(): number {
    const left = this.store.db.open ? this.unsaved.flush(this.store) : this.unsaved.size;
    if (left === 0 && this.unsavedTimer) {
      clearInterval(this.unsavedTimer);
      this.unsavedTimer = null;
    }
    return left;
  }

  /** A stored job with its unsaved end (if any) applied. */
  withUnsaved(job: StoredJob | null): StoredJob | null {
    const u = job ? this.unsaved.get(job.jobId) : undefined;
    if (!job || !u) return job;
    const error = u.status === 'failed' ? u.message : job.error;
    return { ...job, status: u.status, error, finishedAt: u.at, cancelledBy: u.by };
  }

  /** At start: records the job ends the previous run saved aside (a failure is logged, never thrown). */
  applySaved(dataDir: string): void {
    try {
      const ended = UnsavedEnds.applyFile(this.store, dataDir);
      if (ended.length) this.log.info({ jobIds: ended }, 'recorded job ends the previous run could not save');
    } catch (err) {
      this.log.error(
        { err: describeWriteError(err) },
        'could not record the job ends the previous run left unsaved',
      );
    }
  }

  /** At close: stops retrying, writes what the store now accepts, and saves the rest aside for the next start. */
  close(dataDir: string): void {
    this.closing = true;
    if (this.unsavedTimer) clearInterval(this.unsavedTimer);
    if (this.unsaved.flush(this.store) > 0) {
      const saved = this.unsaved.saveFile(dataDir);
      this.log.error(
        { jobs: this.unsaved.size, savedAside: saved },
        saved
          ? 'job ends the store could not record were saved aside; the next start records them'
          : 'job ends the store could not record are lost; those jobs run again after the restart',
      );
    }
  }
}
