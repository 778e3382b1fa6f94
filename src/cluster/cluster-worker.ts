// Runs in the bot's process (scale-out front-end) and the scale-out worker.
// A worker of scale-out mode: owns one inference worker process (src/inference/worker.ts), takes jobs
// of the models it serves from their BullMQ queues one at a time, fetches the uploads (and a
// follow-up's parent result) they need,
// reports progress (previews as blobs), stores the result files as blobs and returns their keys.
// Cancel requests arrive over Redis pub/sub (and a key checked when a job is taken); a job whose
// worker dies is retried once by BullMQ's stalled-job check (maxStalledCount 1).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { DelayedError, Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { EngineHealth } from '../jobs/api.ts';
import { formatDuration } from '../jobs/duration.ts';
import { CONTENT_REFUSAL, promptsOf, runOptions } from '../engine/index.ts';
import type { Logger } from '../jobs/logger.ts';
import { rawResultFile, resultDir, uploadFile } from '../jobs/paths.ts';
import { InferenceWorker, RunFailure, type RunHandle } from '../inference/worker.ts';
import { ConceptRequests } from '../inference/concept-client.ts';
import { workerConfigFrom } from '../inference/worker-setup.ts';
import { BlobStore, blobNames } from './blobs.ts';
import {
  encodeFailure,
  type ClusterJobData,
  type ClusterProgress,
  type ClusterReturn,
  type FailureKind,
} from './protocol.ts';
import {
  connectionOptions,
  createClient,
  isReady,
  keys,
  PREFIX,
  queueName,
  watchConnection,
} from './redis.ts';
import { Registration } from './registry.ts';
import { createWorkerMetrics, type WorkerMetrics } from './worker-metrics.ts';

/** Least ms between two progress reports without a preview. */
const PROGRESS_EVERY_MS = 250;
/** Grace time of a stopped run before its inference process is killed. */
const ABORT_GRACE_MS = 15_000;
/** How long a job waits when this worker's own Redis connection is not back yet. */
const REDIS_WAIT_MS = 1000;

/** Why a run was asked to stop. */
type Stop = { kind: 'cancelled' | 'timeout' | 'shutdown'; message: string };

/** One worker process's share of the cluster. */
export class ClusterWorker {
  readonly workerId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly inference: InferenceWorker;
  readonly metrics: WorkerMetrics;
  private readonly concepts: ConceptRequests;
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly blobs: BlobStore;
  private readonly registration: Registration;
  private readonly queues = new Map<string, Queue>();
  private readonly bullWorkers: Worker[] = [];
  /** Runs one job at a time on the one inference process, whatever its model. */
  private chain: Promise<unknown> = Promise.resolve();
  private running: { handle: RunHandle | null; stop: Stop | null; since: number } | null = null;
  private closing = false;

  constructor(
    readonly config: Config,
    private readonly log: Logger,
    options: { defaultMetrics?: boolean } = {},
  ) {
    const url = config.cluster.redisUrl;
    if (!url) throw new Error('a cluster worker needs REDIS_URL');
    this.redis = createClient(url, log, 'worker');
    this.subscriber = createClient(url, log, 'worker cancel channel');
    this.blobs = new BlobStore(this.redis, config.cluster.blobTtlSeconds);
    this.registration = new Registration(
      this.redis,
      this.workerId,
      Math.max(1000, Math.round(config.cluster.lockMs / 3)),
      (err) => this.log.warn({ err: String(err) }, 'could not renew the worker registration'),
    );
    this.inference = new InferenceWorker(workerConfigFrom(config));
    this.concepts = new ConceptRequests(this.inference);
    for (const model of config.cluster.workerModels)
      this.queues.set(
        model,
        new Queue(queueName(model), { connection: connectionOptions(url), prefix: PREFIX }),
      );
    for (const q of this.queues.values()) q.on('error', () => undefined); // logged by watchConnection of the worker's clients
    this.metrics = createWorkerMetrics(
      this.queues,
      () => (this.running ? Date.now() - this.running.since : 0),
      options.defaultMetrics ?? true,
    );
  }

  /** Starts the inference process, loads each served model, registers it and starts taking its jobs. */
  async start(): Promise<void> {
    const url = this.config.cluster.redisUrl!;
    this.inference.start();
    this.inference.on('worker-error', (err: Error) =>
      this.log.error({ err: err.message }, 'inference worker error'),
    );
    this.inference.on('restart', () => this.log.warn('inference worker restarted'));
    this.subscriber.on('message', (_channel: string, jobId: string) => {
      for (const w of this.bullWorkers)
        if (w.cancelJob(jobId, 'Cancelled.')) this.log.info({ jobId }, 'cancel request received');
    });
    // Subscribed once connected (ioredis subscribes again by itself after a reconnection).
    const subscribe = () => void this.subscriber.subscribe(keys.cancelChannel).catch(() => undefined);
    if (isReady(this.subscriber)) subscribe();
    else this.subscriber.once('ready', subscribe);
    for (const model of this.config.cluster.workerModels) {
      const r = await this.inference.modelInfo(model === this.config.model ? undefined : model, 600_000);
      if ('error' in r) {
        this.log.error({ model, err: r.error }, 'model failed to load; this worker does not serve it');
        continue;
      }
      await this.registration.add(model, r.info);
      const w = new Worker<ClusterJobData, ClusterReturn>(
        queueName(model),
        (job, token, signal) => this.process(model, job, token, signal),
        {
          connection: { ...connectionOptions(url), maxRetriesPerRequest: null },
          prefix: PREFIX,
          concurrency: 1,
          lockDuration: this.config.cluster.lockMs,
          stalledInterval: this.config.cluster.lockMs,
          maxStalledCount: 1,
        },
      );
      watchConnection(w, `worker queue ${model}`, this.log);
      // Logged once BullMQ has recorded the completion: a run whose lock was lost meanwhile (its
      // job already taken again elsewhere) is refused there and never counts as done.
      w.on('completed', (job: Job<ClusterJobData, ClusterReturn>, rv: ClusterReturn) => {
        this.metrics.jobs.inc({ model, status: 'done' });
        this.log.info(
          { jobId: job.id, model, ms: rv.finishedAt - rv.startedAt, workerId: this.workerId },
          'job done',
        );
      });
      w.on('stalled', (jobId: string) =>
        this.log.warn({ jobId, model }, 'job of a stopped worker put back in the queue'),
      );
      this.bullWorkers.push(w);
      this.log.info({ model, device: r.info.device, workerId: this.workerId }, 'worker serving model');
    }
    if (this.bullWorkers.length === 0) throw new Error('no served model could be loaded (WORKER_MODELS)');
  }

  /** Health for /healthz. */
  health(): EngineHealth {
    const c = this.metrics.counts.get(this.config.cluster.workerModels[0]);
    const stalled = this.inference.stalledMs();
    return {
      ok:
        !this.closing &&
        isReady(this.redis) &&
        this.inference.alive &&
        this.bullWorkers.length > 0 &&
        stalled === null,
      workerAlive: this.inference.alive,
      ...(stalled !== null ? { inferenceStalledMs: stalled } : {}),
      queued: (c?.waiting ?? 0) + (c?.prioritized ?? 0),
      running: this.running ? 1 : 0,
      model: this.config.cluster.workerModels.join(','),
      device: this.inference.info.device ?? this.config.device,
    };
  }

  /** Stops taking jobs; a running job is stopped and put back in its queue for another worker. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const r = this.running;
    if (r) {
      r.stop ??= { kind: 'shutdown', message: 'The worker shut down.' };
      r.handle?.abort('The worker shut down.', 5000);
    }
    await Promise.all(this.bullWorkers.map((w) => w.close().catch(() => undefined)));
    await this.registration.stop();
    await this.inference.close();
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.subscriber.disconnect();
    this.redis.disconnect();
  }

  // ---- one job ---------------------------------------------------------------------------

  private process(
    model: string,
    job: Job<ClusterJobData>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<ClusterReturn> {
    const next = this.chain.then(() => this.runOne(model, job, token, signal));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async runOne(
    model: string,
    job: Job<ClusterJobData>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<ClusterReturn> {
    const jobId = job.id!;
    const log = this.log.child({ jobId, model });
    const fail = (kind: FailureKind, message: string): never => {
      this.metrics.jobs.inc({ model, status: kind === 'cancelled' ? 'cancelled' : 'failed' });
      throw new UnrecoverableError(encodeFailure(kind, message));
    };
    if (!isReady(this.redis) && token) {
      // BullMQ's connection is back after an outage, this worker's own one not yet (the cancel
      // flags, inputs and results go through it): the job waits a second instead of failing.
      await job.moveToDelayed(Date.now() + REDIS_WAIT_MS, token);
      log.info('job postponed: this worker is not connected to Redis yet');
      throw new DelayedError();
    }
    if (signal?.aborted || (await this.redis.exists(keys.cancel(jobId)))) fail('cancelled', 'Cancelled.');
    const { spec, timeoutMs } = job.data;
    // Content rules on the model's concepts (the front-end, without the model, checked the text).
    if (job.data.rules?.length) {
      const a = await this.concepts.lookup(model, promptsOf(spec), job.data.rules);
      if (!a.ok) {
        log.warn({ err: a.error }, 'job refused: the content rules could not be checked on its concepts');
        fail('error', "I can't check this server's content rules right now; try again later.");
      } else if (a.banned.length > 0) fail('input', CONTENT_REFUSAL);
    }
    for (const [field, ref] of [
      ['image', spec.image],
      ['mask', spec.mask],
    ] as const) {
      if (!ref || existsSync(uploadFile(this.config.dataDir, ref))) continue;
      if (!(await this.blobs.toFile(blobNames.upload(ref), uploadFile(this.config.dataDir, ref))))
        fail('input', `I no longer have the ${field} of that request; attach it again.`);
    }
    // A follow-up's parent result, where the inference process reads it; removed after the run
    // unless it was here already (a DATA_DIR shared with the front-end).
    const parent = spec.source?.parent;
    const fetchedParent = parent !== undefined && !existsSync(rawResultFile(this.config.dataDir, parent));
    if (
      fetchedParent &&
      !(await this.blobs.toFile(blobNames.parentResult(parent), rawResultFile(this.config.dataDir, parent)))
    )
      fail('input', `The picture of job ${parent} is no longer stored; reroll it instead.`);
    const since = Date.now();
    const run: { handle: RunHandle | null; stop: Stop | null; since: number } = {
      handle: null,
      stop: null,
      since,
    };
    this.running = run;
    let timer: NodeJS.Timeout | undefined;
    let lastProgress = 0;
    const report = (p: ClusterProgress) =>
      void job.updateProgress(p as unknown as object).catch(() => undefined);
    const onAbort = () => {
      run.stop ??= { kind: 'cancelled', message: 'Cancelled.' };
      run.handle?.abort('Cancelled.', ABORT_GRACE_MS);
    };
    signal?.addEventListener('abort', onAbort);
    log.info({ technique: spec.technique, attempt: job.attemptsStarted }, 'job started');
    try {
      run.handle = this.inference.run(jobId, spec, runOptions(this.config, jobId), {
        onStarted: () => {
          timer ??= setTimeout(() => {
            run.stop ??= {
              kind: 'timeout',
              message: `This job took longer than the limit of ${formatDuration(timeoutMs, 'words')} and was stopped.`,
            };
            run.handle?.abort(run.stop.message, ABORT_GRACE_MS);
          }, timeoutMs);
          timer.unref();
        },
        onProgress: (step, total) => {
          const now = Date.now();
          if (step < total && now - lastProgress < PROGRESS_EVERY_MS) return;
          lastProgress = now;
          report({ step, total });
        },
        onPreview: (png, step, total) => {
          const name = `${blobNames.preview(jobId)}:${step}`;
          void this.blobs.put(name, png, 600).then(
            () => report({ step, total, preview: name }),
            () => undefined,
          );
        },
      });
      if (run.stop) run.handle.abort(run.stop.message, ABORT_GRACE_MS);
      const output = await run.handle.done;
      const finishedAt = Date.now();
      const dir = runOptions(this.config, jobId).resultDir;
      const blobs = {
        png: await this.blobs.putFile(blobNames.result(jobId, 'png'), output.files.png),
        raw: await this.blobs.putFile(blobNames.result(jobId, 'raw'), output.files.rawPng),
        gif: output.files.gif
          ? await this.blobs.putFile(blobNames.result(jobId, 'gif'), output.files.gif)
          : null,
      };
      await rm(dir, { recursive: true, force: true });
      this.metrics.jobDuration.observe({ model }, (finishedAt - since) / 1000);
      if (output.timings.perStepMs > 0)
        this.metrics.stepLatency.observe({ model }, output.timings.perStepMs / 1000);
      log.debug({ ms: finishedAt - since }, 'job run finished');
      return { output, blobs, workerId: this.workerId, startedAt: since, finishedAt };
    } catch (err) {
      if (err instanceof UnrecoverableError) throw err;
      await rm(resultDir(this.config.dataDir, jobId), { recursive: true, force: true }).catch(
        () => undefined,
      );
      if (run.stop?.kind === 'shutdown' && token) {
        // Back to the queue for another worker (or this one after its restart): not a failure.
        await job.moveToWait(token);
        this.metrics.jobs.inc({ model, status: 'requeued' });
        log.info('job put back in the queue at shutdown');
        throw new WaitingError();
      }
      if (!run.stop && !isReady(this.redis)) {
        // Redis went away during the run: the result cannot be stored nor the end recorded. The job
        // is left to BullMQ's stalled-job check, which queues it again once Redis is back (as after
        // a worker crash); it is not a failure of the job.
        this.metrics.jobs.inc({ model, status: 'requeued' });
        log.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'job interrupted: Redis is unreachable; it is queued again once Redis is back',
        );
        throw new WaitingError();
      }
      if (run.stop) fail(run.stop.kind === 'shutdown' ? 'error' : run.stop.kind, run.stop.message);
      const f =
        err instanceof RunFailure
          ? err
          : new RunFailure(err instanceof Error ? err.message : String(err), 'error');
      log.warn({ kind: f.kind, err: f.message }, 'job failed');
      return fail(f.kind === 'stopped' ? 'error' : f.kind, f.message);
    } finally {
      clearTimeout(timer);
      if (fetchedParent)
        await rm(resultDir(this.config.dataDir, parent), { recursive: true, force: true }).catch(
          () => undefined,
        );
      signal?.removeEventListener('abort', onAbort);
      this.metrics.addBusy(Date.now() - since);
      this.running = null;
    }
  }
}
