// Runs in the bot's process (and a scale-out front-end).
// One job's run on the inference worker: marks it started, relays progress and previews, applies
// the time limit, turns the worker's output into the job's result, and ends the job.
import type { Config } from '../config.ts';
import type { JobResult } from '../jobs/api.ts';
import type { EtaEstimator } from './eta.ts';
import type { EventHub } from './events.ts';
import { retryWrite, type JobEnds } from './job-ends.ts';
import type { LiveJob, LiveJobs } from './live-jobs.ts';
import type { Logger } from '../jobs/logger.ts';
import type { EngineMetrics } from '../jobs/metrics.ts';
import { formatDuration } from '../jobs/duration.ts';
import { resultDir } from '../jobs/paths.ts';
import type { JobStore } from '../store/store.ts';
import { RunFailure, type InferenceWorker } from '../inference/worker.ts';
import type { RunOptions, RunOutput } from '../inference/worker-protocol.ts';

/** What a run works with (the engine's parts). */
export interface RunContext {
  config: Config;
  store: JobStore;
  worker: InferenceWorker;
  live: LiveJobs;
  events: EventHub;
  ends: JobEnds;
  eta: EtaEstimator;
  metrics: EngineMetrics;
  log: Logger;
  /** Grace time for a stopped job before its inference process is killed. */
  abortGraceMs: number;
  retryDelaysMs: readonly number[];
  /** Whether the engine is closing (a job not started yet stays queued for the next start). */
  closing(): boolean;
}

/** The run settings of a job from the config (frames, previews, GIF, its result folder). */
export function runOptions(config: Config, jobId: string): RunOptions {
  return {
    frameEvery: config.frameEvery,
    frameSource: config.frameSource,
    previewSource: config.previewSource,
    previewEveryMs: config.progressIntervalMs,
    gifMaxBytes: config.gifMaxBytes,
    gifSize: config.gifSize,
    displaySize: config.displaySize,
    resultDir: resultDir(config.dataDir, jobId),
  };
}

/** The result of a finished run as the job records it. */
export function resultOf(job: Pick<LiveJob, 'jobId' | 'spec' | 'createdAt'>, out: RunOutput, startedAt: number): JobResult {
  return {
    jobId: job.jobId,
    model: out.model,
    spec: out.spec,
    timings: {
      queuedMs: startedAt - job.createdAt,
      totalMs: Math.round(out.timings.totalMs),
      modelMs: Math.round(out.timings.modelMs),
      perStepMs: +out.timings.perStepMs.toFixed(2),
      unetCalls: out.timings.unetCalls,
      unetEvaluations: out.timings.unetEvaluations,
      ...(out.timings.frameDecoder ? { frameDecoder: out.timings.frameDecoder } : {}),
    },
    prompts: out.prompts,
    understood: out.understood,
    unknown: out.unknown,
    files: out.files,
  };
}

/** Runs one job on the worker (called by the queue, one at a time). Never throws. */
export async function runJob(ctx: RunContext, job: LiveJob): Promise<void> {
  const { config, events } = ctx;
  const log = ctx.log.child({ jobId: job.jobId });
  if (ctx.closing()) return; // stays queued in the store for the next start
  const startedAt = Date.now();
  job.startedAt = startedAt;
  const notStarted = await retryWrite(() => ctx.store.markStarted(job.jobId, startedAt), ctx.retryDelaysMs);
  if (notStarted !== null) return ctx.ends.endInMemory(job, notStarted);
  ctx.metrics.queueWait.observe((startedAt - job.createdAt) / 1000);
  events.emit({ type: 'started', jobId: job.jobId, owner: job.owner, startedAt });
  log.info({ technique: job.spec.technique, waitedMs: startedAt - job.createdAt }, 'job started');

  // The time limit counts from the worker's start of the job, so a worker restart or a model load does not eat into it.
  let timer: NodeJS.Timeout | undefined;
  const startTimer = () => {
    timer ??= setTimeout(() => {
      job.stop ??= { kind: 'timeout', by: null };
      const limit = formatDuration(config.jobTimeoutMs, 'words');
      job.handle?.abort(`This job took longer than the limit of ${limit} and was stopped.`, ctx.abortGraceMs);
    }, config.jobTimeoutMs);
    timer.unref();
  };

  try {
    job.handle = ctx.worker.run(job.jobId, job.spec, runOptions(config, job.jobId), {
      onStarted: startTimer,
      onProgress: (step, total) => {
        job.step = step;
        job.total = total;
        events.emit({ type: 'progress', jobId: job.jobId, owner: job.owner, step, total });
      },
      onPreview: (preview, step, total) => {
        if (ctx.live.holds(job) && !events.ended(job.jobId)) {
          events.emit({ type: 'progress', jobId: job.jobId, owner: job.owner, step, total, preview });
        }
      },
    });
    if (job.stop) job.handle.abort(job.stop.kind === 'cancel' ? 'Cancelled.' : 'Stopped.', ctx.abortGraceMs);
    const out = await job.handle.done;
    const finishedAt = Date.now();
    const result = resultOf(job, out, startedAt);
    ctx.eta.learn(out.spec, finishedAt - startedAt);
    ctx.metrics.jobDuration.observe({ technique: job.spec.technique }, (finishedAt - startedAt) / 1000);
    if (out.timings.perStepMs > 0) ctx.metrics.stepLatency.observe(out.timings.perStepMs / 1000);
    await ctx.ends.finish(job, 'done', { result });
    log.info({ ms: finishedAt - startedAt, modelMs: result.timings.modelMs }, 'job done');
  } catch (err) {
    const f =
      err instanceof RunFailure
        ? err
        : new RunFailure(err instanceof Error ? err.message : String(err), 'error');
    if (job.stop?.kind === 'cancel') {
      await ctx.ends.finish(job, 'cancelled', { by: job.stop.by });
      log.info('job cancelled while running');
    } else if (job.stop?.kind === 'shutdown') {
      // Left as 'running' in the store: recovery on the next start runs it again (or reports it).
      ctx.live.remove(job);
      log.info('job interrupted by shutdown');
    } else {
      const timedOut = job.stop?.kind === 'timeout';
      // A failure the user can act on (or a crash, a time limit) is told as is; others get a preface.
      const reason = timedOut
        ? 'timeout'
        : f.kind === 'crash'
          ? 'crash'
          : f.kind === 'error'
            ? 'error'
            : 'input';
      const message =
        timedOut || f.kind !== 'error'
          ? f.message
          : `Something went wrong while running this job: ${f.message}`;
      await ctx.ends.finish(job, 'failed', { message, reason });
      log.warn({ reason, err: f.message }, 'job failed');
    }
  } finally {
    clearTimeout(timer);
    job.handle = null;
  }
}
