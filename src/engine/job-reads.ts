// Runs in the bot's process (and a scale-out front-end).
// What the embedded engine and the scale-out front-end share: admission of a new job (refused
// while closing, or by the queue and per-user limits), and the read side: a job's record, its
// result files, its message, and its events (live, replayed, or rebuilt from the store).
import type { Config } from '../config.ts';
import {
  canSeeJob,
  refusal,
  type EngineRefusal,
  type JobEvent,
  type JobEventListener,
  type JobOwner,
  type JobRecord,
  type ResultFilesAnswer,
  type SubscribeOptions,
} from '../jobs/api.ts';
import type { JobSpec } from '../jobs/spec.ts';
import { terminalEvent, type EventHub } from './events.ts';
import { storeFailureMessage, type JobEnds } from './job-ends.ts';
import type { LiveJobs } from './live-jobs.ts';
import type { Logger } from '../jobs/logger.ts';
import { resultFilesOf } from './recovery.ts';
import { describeWriteError, type JobStore, type StoredJob } from '../store/store.ts';

/** Engine methods over the job store, the jobs in memory and the event hub; subclasses say how a stored job reads as a record. */
export abstract class JobReads {
  abstract readonly config: Config;
  abstract readonly log: Logger;
  abstract readonly store: JobStore;
  protected abstract readonly live: LiveJobs;
  protected abstract readonly events: EventHub;
  protected abstract readonly ends: JobEnds;

  /** Set once close() has begun: from then on every new job is refused. */
  protected closing = false;
  /** Set once start() has taken up the jobs a previous run left queued or running. */
  protected tookUpLeftJobs = false;

  /** The refusal every new job gets once close() has begun, or null. */
  protected refusalWhileClosing(): EngineRefusal | null {
    return this.closing ? refusal('shutting_down', 'The bot is restarting; try again in a minute.') : null;
  }

  /** The refusal a new job of `owner` gets now (shutting down, queue full, user at the limit), or null. */
  checkAdmission(owner: JobOwner): EngineRefusal | null {
    return (
      this.refusalWhileClosing() ??
      this.live.admission(owner, {
        queueMax: this.config.queueMax,
        userMaxPending: this.config.userMaxPending,
      })
    );
  }

  /** A stored job as the engine reports it (status and queue position of jobs in memory). */
  protected abstract toRecord(job: StoredJob): JobRecord;

  /** The wait estimate of a queued job at a position, for a snapshot rebuilt from the store. */
  protected queuedWait(_position: number): number {
    return 0;
  }

  async get(jobId: string): Promise<JobRecord | null> {
    const job = this.storedJob(jobId);
    return job ? this.toRecord(job) : null;
  }

  async setMessageRef(jobId: string, messageRef: string): Promise<void> {
    try {
      this.store.setMessageRef(jobId, messageRef);
    } catch (err) {
      this.log.error({ jobId, err: describeWriteError(err) }, 'could not store the message of a job');
    }
    const a = this.live.get(jobId);
    if (a) a.owner.messageRef = messageRef;
  }

  async resultFiles(jobId: string): Promise<ResultFilesAnswer> {
    return resultFilesOf(jobId, this.storedJob(jobId), this.config.retentionDays);
  }

  subscribe(jobId: string, listener: JobEventListener, options: SubscribeOptions = {}): () => void {
    // An older finished job that the hub no longer remembers: its end is replayed from the store.
    return this.events.subscribe(jobId, listener, options.replay ?? true, () => {
      if (this.live.has(jobId)) return null;
      const job = this.storedJob(jobId);
      return job ? terminalEvent(job) : null;
    });
  }

  subscribeAll(listener: JobEventListener): () => void {
    return this.events.subscribeAll(listener);
  }

  snapshot(jobId: string): JobEvent[] {
    const past = this.events.snapshot(jobId);
    if (past.length > 0) return past;
    const job = this.storedJob(jobId);
    if (!job) return [];
    const end = terminalEvent(job);
    if (end) return [end];
    // Queued or running with nothing remembered (cannot happen while the engine runs): its state from the record.
    const rec = this.toRecord(job);
    const { owner } = job;
    if (rec.status === 'running')
      return [{ type: 'started', jobId, owner, startedAt: rec.startedAt ?? Date.now() }];
    const position = rec.position ?? 0;
    return [{ type: 'queued', jobId, owner, position, estimatedWaitMs: this.queuedWait(position) }];
  }

  /** The stored job `jobId` when `owner` may see it (not private, or theirs), else null: a private job reads as absent to others. */
  protected visibleJob(jobId: string, owner: JobOwner): StoredJob | null {
    const job = this.store.get(jobId);
    return job && canSeeJob(job.owner, owner) ? job : null;
  }

  /**
   * Why a new job of `owner` may not use its inputs, answered as if they did not exist, or null: a
   * private job it follows up or rerolls (`parentId`, spec.source) that is another user's, or an
   * upload (spec.image, spec.mask) that `owner` neither uploaded nor used in a job of their own
   * (the parent's own inputs pass when `owner` may see the parent).
   */
  protected inputRefusal(spec: JobSpec, owner: JobOwner, parentId?: string | null): EngineRefusal | null {
    const parent = parentId ? this.store.get(parentId) : null;
    if (parent && !canSeeJob(parent.owner, owner)) return refusal('not_found', `I can't find job ${parentId}.`);
    const source = spec.source ? this.store.get(spec.source.parent) : null;
    if (source && !canSeeJob(source.owner, owner))
      return refusal('not_found', `I can't find job ${source.jobId}.`);
    for (const [field, ref] of [
      ['image', spec.image],
      ['mask', spec.mask],
    ] as const) {
      if (!ref || this.store.uploadUsableBy(ref, owner)) continue;
      if (parent && (parent.spec.image === ref || parent.spec.mask === ref)) continue;
      return refusal('bad_image', `I no longer have the ${field} of that request; attach it again.`);
    }
    return null;
  }

  /**
   * A stored job as it stands: once start() has taken up the jobs left by a previous run, a job
   * the store has queued or running that this engine does not hold ended in memory because the
   * store refused its end (job-ends.ts), so it reads as failed. No record of such ends is kept.
   */
  protected storedJob(jobId: string): StoredJob | null {
    const job = this.store.get(jobId);
    if (!job || (job.status !== 'queued' && job.status !== 'running')) return job;
    if (!this.tookUpLeftJobs || this.closing || this.live.has(jobId)) return job;
    return { ...job, status: 'failed', error: storeFailureMessage(null, this.ends.rerunAfterRestart) };
  }
}
