// Runs in the bot's process (scale-out front-end) and the scale-out worker.
// The front-end's view of BullMQ: a queue and a QueueEvents listener per model, and the
// translation of BullMQ's events (active, progress, completed, failed) into the engine's job
// events for the jobs this front-end holds. Results are fetched from their blobs into
// DATA_DIR/results/<jobId>/ so adapters read files as in embedded mode. A periodic reconcile
// (and one at start) reads the state of every held job from BullMQ, so an event missed while
// this process or Redis was down still ends its job.
import { Job, Queue, QueueEvents } from 'bullmq';
import type { Config } from '../config.ts';
import {
  resultOf,
  type EtaEstimator,
  type EventHub,
  type JobEnds,
  type LiveJob,
  type LiveJobs,
} from '../engine/index.ts';
import type { Logger } from '../jobs/logger.ts';
import type { EngineMetrics } from '../jobs/metrics.ts';
import { rawResultFile, resultDir, uploadFile } from '../jobs/paths.ts';
import type { JobSpec } from '../jobs/spec.ts';
import { existsSync } from 'node:fs';
import type { JobStore } from '../store/store.ts';
import { blobNames, type BlobStore } from './blobs.ts';
import {
  decodeFailure,
  parseReturn,
  type ClusterJobData,
  type ClusterProgress,
  type ClusterReturn,
} from './protocol.ts';
import { connectionOptions, PREFIX, queueName, watchConnection } from './redis.ts';
import path from 'node:path';

/** Finished jobs kept in BullMQ (for a front-end that was down when they ended), by age and count. */
export const KEEP_FINISHED = { age: 7 * 24 * 3600, count: 10_000 };

/** What the sync works with (the engine's parts). */
export interface SyncContext {
  config: Config;
  store: JobStore;
  live: LiveJobs;
  events: EventHub;
  ends: JobEnds;
  eta: EtaEstimator;
  metrics: EngineMetrics;
  blobs: BlobStore;
  log: Logger;
  /** The content rules' words and phrases in force for a job's owner, sent with the job for the worker's concept check. */
  contentWords?: (job: LiveJob) => string[];
}

/** Queues and event listeners per model, and the job events they turn into. */
export class ClusterSync {
  private readonly queues = new Map<string, Queue<ClusterJobData, ClusterReturn>>();
  private readonly listeners = new Map<string, QueueEvents>();
  /** The model of each held job (to find its queue). */
  private readonly modelOf = new Map<string, string>();
  private readonly url: string;
  /** Jobs whose end is being recorded (a completed event and a reconcile may both see it). */
  private readonly ending = new Set<string>();

  constructor(private readonly ctx: SyncContext) {
    this.url = ctx.config.cluster.redisUrl!;
  }

  /** The queue of a model, with its event listener (created on first use). */
  async queue(model: string): Promise<Queue<ClusterJobData, ClusterReturn>> {
    const known = this.queues.get(model);
    if (known) return known;
    const q: Queue<ClusterJobData, ClusterReturn> = new Queue(queueName(model), {
      connection: connectionOptions(this.url),
      prefix: PREFIX,
      defaultJobOptions: { attempts: 1, removeOnComplete: KEEP_FINISHED, removeOnFail: KEEP_FINISHED },
    });
    q.on('error', () => undefined); // the listener's connection logs Redis trouble once
    this.queues.set(model, q);
    const ev = new QueueEvents(queueName(model), { connection: connectionOptions(this.url), prefix: PREFIX });
    watchConnection(ev, `job events of ${model}`, this.ctx.log);
    ev.on('active', ({ jobId }) => this.onActive(jobId));
    ev.on('progress', ({ jobId, data }) => void this.onProgress(jobId, data as unknown as ClusterProgress));
    ev.on('completed', ({ jobId, returnvalue }) => void this.onCompleted(jobId, returnvalue));
    ev.on('failed', ({ jobId, failedReason }) => void this.onFailed(jobId, failedReason));
    ev.on('stalled', ({ jobId }) => {
      if (this.ctx.live.has(jobId))
        this.ctx.log.warn(
          { jobId },
          'the worker of a job stopped; the job is queued again for another worker',
        );
    });
    this.listeners.set(model, ev);
    await ev.waitUntilReady().catch(() => undefined);
    return q;
  }

  /** Remembers which model's queue a held job is in. */
  track(jobId: string, model: string): void {
    this.modelOf.set(jobId, model);
  }

  /** Adds a job to its model's queue (job id = the engine's job id). */
  async add(job: LiveJob, model: string): Promise<void> {
    const q = await this.queue(model);
    this.track(job.jobId, model);
    await q.add(
      job.spec.technique,
      {
        spec: job.spec,
        createdAt: job.createdAt,
        timeoutMs: this.ctx.config.jobTimeoutMs,
        rules: this.ctx.contentWords?.(job) ?? [],
      },
      { jobId: job.jobId },
    );
  }

  /**
   * Makes sure the uploads a spec refers to are in Redis for the workers; false when one is gone
   * here too. A follow-up's parent result goes there as well (when it is gone, the worker says so).
   */
  async shareUploads(spec: JobSpec): Promise<boolean> {
    for (const ref of [spec.image, spec.mask]) {
      if (!ref || (await this.ctx.blobs.touch(blobNames.upload(ref)))) continue;
      const file = uploadFile(this.ctx.config.dataDir, ref);
      if (!existsSync(file)) return false;
      await this.ctx.blobs.putFile(blobNames.upload(ref), file);
    }
    const parent = spec.source?.parent;
    if (parent && !(await this.ctx.blobs.touch(blobNames.parentResult(parent)))) {
      const file = rawResultFile(this.ctx.config.dataDir, parent);
      if (existsSync(file)) await this.ctx.blobs.putFile(blobNames.parentResult(parent), file);
    }
    return true;
  }

  /** Removes a job that no worker has taken; false when a worker runs it (or it is gone). */
  async removeWaiting(jobId: string): Promise<boolean> {
    const model = this.modelOf.get(jobId);
    if (!model) return false;
    return (await (await this.queue(model)).remove(jobId)) === 1;
  }

  /** Counts of the model's queue: waiting ahead of everything and running. */
  async counts(model: string): Promise<{ waiting: number; active: number }> {
    const c = await (await this.queue(model)).getJobCounts('waiting', 'prioritized', 'active');
    return { waiting: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0 };
  }

  /**
   * Brings every held job up to date with BullMQ: ends the finished ones, marks running ones
   * started, re-adds a job BullMQ does not know (accepted but never added, e.g. Redis went away).
   */
  async reconcile(): Promise<void> {
    for (const [jobId, model] of this.modelOf) {
      const job = this.ctx.live.get(jobId);
      if (!job) {
        this.modelOf.delete(jobId);
        continue;
      }
      const q = await this.queue(model);
      const state = await q.getJobState(jobId);
      if (state === 'completed' || state === 'failed') {
        const j = await Job.fromId(q, jobId);
        if (!j) continue;
        if (state === 'completed') await this.onCompleted(jobId, j.returnvalue);
        else await this.onFailed(jobId, j.failedReason);
      } else if (state === 'active') this.onActive(jobId);
      else if (state === 'unknown') {
        this.ctx.log.warn({ jobId }, 'a job missing from Redis is queued again');
        await this.add(job, model);
      }
    }
  }

  /** Closes the queues and listeners. */
  async close(): Promise<void> {
    await Promise.all([...this.listeners.values()].map((l) => l.close().catch(() => undefined)));
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
  }

  // ---- BullMQ events -----------------------------------------------------------------------

  private onActive(jobId: string): void {
    const job = this.ctx.live.get(jobId);
    if (!job || job.startedAt !== null) return;
    const startedAt = Date.now();
    job.startedAt = startedAt;
    try {
      this.ctx.store.markStarted(jobId, startedAt);
    } catch (err) {
      this.ctx.log.warn({ jobId, err: String(err) }, 'could not mark a job started');
    }
    this.ctx.metrics.queueWait.observe((startedAt - job.createdAt) / 1000);
    this.ctx.events.emit({ type: 'started', jobId, owner: job.owner, startedAt });
  }

  private async onProgress(jobId: string, p: ClusterProgress): Promise<void> {
    const job = this.ctx.live.get(jobId);
    if (!job || typeof p !== 'object' || p === null || typeof p.step !== 'number') return;
    if (job.startedAt === null) this.onActive(jobId);
    job.step = p.step;
    job.total = p.total;
    const base = { type: 'progress', jobId, owner: job.owner, step: p.step, total: p.total } as const;
    if (!p.preview) return this.ctx.events.emit(base);
    const preview = await this.ctx.blobs.get(p.preview).catch(() => null);
    if (this.ctx.live.holds(job) && !this.ctx.events.ended(jobId))
      this.ctx.events.emit(preview ? { ...base, preview } : base);
  }

  private async onCompleted(jobId: string, value: unknown): Promise<void> {
    const job = this.ctx.live.get(jobId);
    if (!job || this.ending.has(jobId)) return;
    this.ending.add(jobId);
    try {
      const r = parseReturn(value);
      if (!r) throw new Error('the worker returned no result');
      const dir = resultDir(this.ctx.config.dataDir, jobId);
      const files = {
        ...r.output.files,
        png: path.join(dir, 'image.png'),
        rawPng: path.join(dir, 'raw.png'),
        gif: r.blobs.gif ? path.join(dir, 'trajectory.gif') : null,
      };
      for (const [name, file] of [
        [r.blobs.png, files.png],
        [r.blobs.raw, files.rawPng],
        [r.blobs.gif, files.gif],
      ] as const) {
        if (name && file && !(await this.ctx.blobs.toFile(name, file)))
          throw new Error(`result blob ${name} expired`);
      }
      await this.ctx.blobs
        .remove(...[r.blobs.png, r.blobs.raw, r.blobs.gif].filter((n): n is string => !!n))
        .catch(() => undefined);
      const startedAt = job.startedAt ?? r.startedAt;
      const result = resultOf(job, { ...r.output, files }, startedAt);
      this.ctx.eta.learn(r.output.spec, r.finishedAt - r.startedAt);
      this.ctx.metrics.jobDuration.observe(
        { technique: job.spec.technique },
        (r.finishedAt - r.startedAt) / 1000,
      );
      if (r.output.timings.perStepMs > 0)
        this.ctx.metrics.stepLatency.observe(r.output.timings.perStepMs / 1000);
      await this.ctx.ends.finish(job, 'done', { result });
      this.ctx.log.info({ jobId, workerId: r.workerId, ms: r.finishedAt - r.startedAt }, 'job done');
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.ctx.log.error({ jobId, err: why }, 'could not collect the result of a job');
      await this.ctx.ends.finish(job, 'failed', {
        message: `The job ran but its result could not be collected (${why}); please try again.`,
        reason: 'error',
      });
    } finally {
      this.ending.delete(jobId);
      this.modelOf.delete(jobId);
    }
  }

  private async onFailed(jobId: string, reason: string | undefined): Promise<void> {
    const job = this.ctx.live.get(jobId);
    if (!job || this.ending.has(jobId)) return;
    const f = decodeFailure(reason);
    this.modelOf.delete(jobId);
    if (f.kind === 'cancelled' || job.stop?.kind === 'cancel') {
      await this.ctx.ends.finish(job, 'cancelled', { by: job.stop?.by ?? null });
      return;
    }
    const message =
      f.kind === 'error' && !f.message.startsWith('Something went wrong')
        ? `Something went wrong while running this job: ${f.message}`
        : f.message;
    await this.ctx.ends.finish(job, 'failed', { message, reason: f.kind === 'lost' ? 'crash' : f.kind });
    this.ctx.log.warn({ jobId, kind: f.kind, err: f.message }, 'job failed');
  }
}
