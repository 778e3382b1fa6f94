// The in-process engine: validates and stores jobs (SQLite), queues them FIFO on one device
// (p-queue, concurrency 1), runs them on the inference worker thread, and reports progress.
// It implements the Engine interface of api.ts; a distributed backend can replace it.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import { encodePng, isImageInputError, probeImage, upscaleForDisplay } from '../imaging/index.ts';
import { listModels } from '../runtime/models-dir.ts';
import {
  refusal,
  type Actor,
  type Engine,
  type EngineHealth,
  type EngineRefusal,
  type JobEvent,
  type JobEventListener,
  type JobOwner,
  type JobRecord,
  type JobResult,
  type JobStatus,
  type ModelInfoResult,
  type QueueEntry,
  type ResultFiles,
  type StoredUpload,
  type SubmitOptions,
  type SubmitResult,
} from './api.ts';
import { StoreBackups } from './backup.ts';
import { createLogger, type Logger } from './logger.ts';
import { createEngineMetrics, type EngineMetrics } from './metrics.ts';
import { dbFile, resultDir, uploadFile } from './paths.ts';
import { DeviceQueue } from './queue.ts';
import {
  DEFAULT_SPEC_LIMITS,
  parseJobSpec,
  regenerate as regenerateSpec,
  resolveJobSpec,
  type JobSpec,
  type SpecLimits,
} from './spec.ts';
import { orphanWarning } from './store-check.ts';
import { JobStore, type StoredJob } from './store.ts';
import { describeWriteError, retryWrite, UnsavedEnds } from './unsaved.ts';
import { InferenceWorker, RunFailure, type RunHandle } from './worker.ts';
import type { RunOptions } from './worker-protocol.ts';

/** Test-only hooks (never set by the bot itself). */
export interface EngineTestHooks {
  /** Step at which the worker thread exits mid-job, simulating a crash. */
  crashAtStep?(spec: JobSpec, jobId: string): number | undefined;
  /** Step at which the worker thread blocks, as a hung model call would. */
  stallAtStep?(spec: JobSpec, jobId: string): number | undefined;
}

/** Options of createEngine beyond the config. */
export interface EngineOptions {
  logger?: Logger;
  /** Collect Node's default process metrics too (default true). */
  defaultMetrics?: boolean;
  /** Upload decode limits (bytes, pixels); default UPLOAD_MAX_BYTES / UPLOAD_MAX_PIXELS. */
  uploadLimits?: { maxBytes?: number; maxPixels?: number };
  /** Grace time for a running job to stop after cancel or time limit before the worker is terminated (default 15 s). */
  abortGraceMs?: number;
  /** Delays between the tries of a job-store write before the job is ended in memory (default 50, 250, 1000 ms). */
  storeRetryDelaysMs?: number[];
  testHooks?: EngineTestHooks;
}

interface Active {
  jobId: string;
  spec: JobSpec;
  owner: JobOwner;
  createdAt: number;
  startedAt: number | null;
  step: number;
  total: number;
  handle: RunHandle | null;
  /** Set when a cancel or the time limit asked the job to stop. */
  stop: { kind: 'cancel' | 'timeout' | 'shutdown'; by: string | null } | null;
  finished: Promise<void>;
  finish(): void;
}

/** Recent events per job, replayed to late subscribers. */
interface History {
  queued?: JobEvent;
  started?: JobEvent;
  progress?: JobEvent;
  preview?: JobEvent;
  terminal?: JobEvent;
}

const HISTORY_MAX = 500;
/** Delays between the tries of a job-store write (ms). */
const STORE_RETRY_DELAYS_MS = [50, 250, 1000];
const DEFAULT_MS_PER_STEP = 500;
const EMA = 0.3;

/** Random job id: 10 characters of [a-z0-9], easy to type in a /cancel command. */
export function newJobId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(10);
  let s = '';
  for (const b of bytes) s += alphabet[b % 36];
  return s;
}

/** The in-process engine (p-queue + worker thread + SQLite). Call start() after subscribing adapters. */
export class LocalEngine implements Engine {
  readonly store: JobStore;
  readonly worker: InferenceWorker;
  readonly metrics: EngineMetrics;
  readonly log: Logger;
  /** Online backups of the job store (STORE_BACKUPS, STORE_BACKUP_HOURS). */
  readonly backups: StoreBackups;
  /** Job ends the store could not record yet (a full disk); retried, then saved aside at close. */
  private readonly unsaved = new UnsavedEnds();
  private unsavedTimer: NodeJS.Timeout | null = null;
  private readonly queue: DeviceQueue<Active>;
  private readonly active = new Map<string, Active>();
  private readonly perUser = new Map<string, number>();
  private readonly listeners = new Map<string, Set<JobEventListener>>();
  private readonly allListeners = new Set<JobEventListener>();
  private readonly history = new Map<string, History>();
  private readonly limits: SpecLimits;
  private readonly msPerStep = new Map<string, number>();
  private modelNames: { at: number; names: Set<string> } | null = null;
  private closing = false;
  private started = false;
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly config: Config,
    private readonly options: EngineOptions = {},
  ) {
    this.log = options.logger ?? createLogger(config.logLevel);
    this.limits = { ...DEFAULT_SPEC_LIMITS, maxSteps: config.maxSteps };
    // A missing or empty store next to earlier results is reported, not silently reused.
    const orphans = orphanWarning(dbFile(config.dataDir));
    if (orphans) this.log.warn(orphans);
    this.store = new JobStore(dbFile(config.dataDir));
    this.backups = new StoreBackups(
      this.store,
      { keep: config.storeBackups, everyHours: config.storeBackupHours },
      this.log,
    );
    this.queue = new DeviceQueue<Active>(
      (a) => this.runJob(a),
      () => this.announcePositions(),
      // A run that threw anyway still ends, visibly to its owner.
      (a, err) =>
        this.endUnsaved(a, err, {
          status: 'failed',
          message: 'Something went wrong while running this job; please try again.',
          reason: 'error',
        }),
    );
    this.metrics = createEngineMetrics(
      { queueLength: () => this.queue.waitingCount, running: () => (this.queue.running ? 1 : 0) },
      options.defaultMetrics ?? true,
    );
    this.worker = new InferenceWorker({
      dataDir: config.dataDir,
      modelsDir: config.modelsDir,
      defaultModel: config.model,
      device: config.device,
      cudaDeviceId: config.cudaDeviceId,
      cpuFallback: config.cpuFallback,
      intraOpThreads: config.intraOpThreads,
      uploadLimits: options.uploadLimits ?? { maxBytes: config.uploadMaxBytes, maxPixels: config.uploadMaxPixels },
      preload: true,
      maxSteps: config.maxSteps,
    });
    this.worker.on('ready', (info: { model: string | null; device: string | null; error?: string }) => {
      if (info.error)
        this.log.error({ model: config.model, err: info.error }, 'default model failed to load');
      else this.log.info({ model: info.model, device: info.device }, 'inference worker ready');
    });
    this.worker.on('restart', () => {
      this.metrics.workerRestarts.inc();
      this.log.warn('inference worker restarted');
    });
    this.worker.on('thread-error', (err: Error) =>
      this.log.error({ err: err.message }, 'inference worker error'),
    );
  }

  /** Starts the worker, recovers the jobs a previous run left queued or running, and schedules retention pruning. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await mkdir(this.config.dataDir, { recursive: true });
    this.worker.start();
    try {
      const ended = UnsavedEnds.applyFile(this.store, this.config.dataDir);
      if (ended.length) this.log.info({ jobIds: ended }, 'recorded job ends the previous run could not save');
    } catch (err) {
      this.log.error(
        { err: describeWriteError(err) },
        'could not record the job ends the previous run left unsaved',
      );
    }
    await this.recover();
    await this.prune();
    // The start-up backup (if the newest is older than STORE_BACKUP_HOURS) runs in the background.
    void this.backups.start();
    if (this.config.retentionDays > 0) {
      this.pruneTimer = setInterval(() => {
        this.prune().catch((err: unknown) => this.log.error({ err }, 'pruning old results failed'));
      }, 3_600_000);
      this.pruneTimer.unref();
    }
  }

  // ---- Engine interface ------------------------------------------------------------------

  async submit(input: unknown, owner: JobOwner, options: SubmitOptions = {}): Promise<SubmitResult> {
    if (this.closing) return refusal('shutting_down', 'The bot is restarting; try again in a minute.');
    const parsed = parseJobSpec(input, this.limits);
    if (!parsed.ok) return refusal('invalid_spec', parsed.message);
    const spec = parsed.spec;
    // Checked against the model's defaults when the worker has reported them (the run resolves them again).
    const defaults = this.worker.knownDefaults(spec.model);
    const resolved = defaults ? resolveJobSpec(spec, defaults, this.limits) : null;
    if (resolved && !resolved.ok) return refusal('invalid_spec', resolved.message);
    if (spec.model && !this.knownModel(spec.model)) {
      return refusal(
        'invalid_spec',
        `I don't have a model called "${spec.model}". Installed: ${[...this.modelList()].join(', ') || 'none'}.`,
      );
    }
    for (const [field, ref] of [
      ['image', spec.image],
      ['mask', spec.mask],
    ] as const) {
      if (ref && !this.store.getUpload(ref)) {
        return refusal('bad_image', `I no longer have the ${field} of that request; attach it again.`);
      }
    }
    // Inpainting without a mask repaints the image's transparent pixels: refuse now, not after queueing, when it has none.
    if (spec.technique === 'inpaint' && !spec.mask && spec.image && !this.store.getUpload(spec.image)?.hasAlpha) {
      return refusal(
        'invalid_spec',
        'Inpainting needs a mask: attach a mask image (white = repaint) or an image with transparent areas to repaint.',
      );
    }
    const refused = this.checkAdmission(owner);
    if (refused) return refused;
    const jobId = newJobId();
    const createdAt = Date.now();
    try {
      this.store.insert({
        jobId,
        spec,
        owner: cleanOwner(owner),
        parentId: options.parentId ?? null,
        createdAt,
      });
    } catch (err) {
      this.log.error({ err: describeWriteError(err) }, 'could not store a new job');
      return refusal(
        'unavailable',
        "The bot can't save new jobs right now (its storage is failing); try again later.",
      );
    }
    const a = this.track(jobId, spec, cleanOwner(owner), createdAt);
    const position = this.positionOf(jobId, true);
    const estimatedWaitMs = this.waitFor(position);
    this.emit({ type: 'queued', jobId, owner: a.owner, position, estimatedWaitMs });
    this.queue.add(a);
    this.log.info(
      { jobId, technique: spec.technique, platform: owner.platform, parentId: options.parentId },
      'job queued',
    );
    return { ok: true, jobId, position, estimatedWaitMs, spec };
  }

  checkAdmission(owner: JobOwner): EngineRefusal | null {
    if (this.closing) return refusal('shutting_down', 'The bot is restarting; try again in a minute.');
    if (this.active.size >= this.config.queueMax) {
      return refusal(
        'queue_full',
        `The queue is full (${this.config.queueMax} jobs); try again in a few minutes.`,
      );
    }
    const mine = this.perUser.get(`${owner.platform}:${owner.userId}`) ?? 0;
    if (mine >= this.config.userMaxPending) {
      const n = this.config.userMaxPending;
      return refusal(
        'user_limit',
        `You already have ${n} job${n === 1 ? '' : 's'} waiting or running; wait for one to finish or cancel one.`,
      );
    }
    return null;
  }

  async regenerate(jobId: string, owner: JobOwner, seed?: number): Promise<SubmitResult> {
    const job = this.store.get(jobId);
    if (!job) return refusal('not_found', `I can't find job ${jobId}.`);
    return this.submit(regenerateSpec(job.spec, seed), owner, { parentId: jobId });
  }

  async cancel(jobId: string, by: Actor): Promise<{ ok: true; status: JobStatus } | EngineRefusal> {
    const a = this.active.get(jobId);
    const job = a ? null : this.storedJob(jobId);
    if (!a && !job) return refusal('not_found', `I can't find job ${jobId}.`);
    const owner = a ? a.owner : job!.owner;
    const isAdmin = by.isAdmin || this.config.adminUserIds.includes(by.userId);
    const isOwner =
      owner.userId === by.userId && (by.platform === undefined || by.platform === owner.platform);
    if (!isOwner && !isAdmin)
      return refusal('forbidden', 'Only the person who asked for that job (or an admin) can cancel it.');
    if (!a)
      return refusal(
        'not_cancellable',
        `Job ${jobId} already ${job!.status === 'done' ? 'finished' : job!.status}.`,
      );

    if (this.queue.remove(jobId)) {
      await this.finishJob(a, 'cancelled', { by: by.userId });
      return { ok: true, status: 'cancelled' };
    }
    // Running: the abort reaches the sampling loop at its next step.
    a.stop ??= { kind: 'cancel', by: by.userId };
    a.handle?.abort('Cancelled.', this.options.abortGraceMs ?? 15_000);
    await a.finished;
    const after = this.storedJob(jobId);
    return { ok: true, status: after?.status ?? 'cancelled' };
  }

  async get(jobId: string): Promise<JobRecord | null> {
    const job = this.storedJob(jobId);
    if (!job) return null;
    return this.toRecord(job);
  }

  async setMessageRef(jobId: string, messageRef: string): Promise<void> {
    try {
      this.store.setMessageRef(jobId, messageRef);
    } catch (err) {
      this.log.error({ jobId, err: describeWriteError(err) }, 'could not store the message of a job');
    }
    const a = this.active.get(jobId);
    if (a) a.owner.messageRef = messageRef;
  }

  async resultFiles(jobId: string): Promise<ResultFiles | EngineRefusal> {
    const job = this.storedJob(jobId);
    if (!job) return refusal('not_found', `I can't find job ${jobId}.`);
    if (job.status !== 'done' || !job.result)
      return refusal('no_result', `Job ${jobId} has no result (it is ${job.status}).`);
    if (job.pruned || !existsSync(job.result.files.png)) {
      return refusal(
        'no_result',
        `The images of job ${jobId} were deleted after ${this.config.retentionDays} days; regenerate it to get a new one.`,
      );
    }
    return job.result.files;
  }

  subscribe(jobId: string, listener: JobEventListener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(listener);
    const h = this.history.get(jobId);
    if (h) {
      for (const e of [h.queued, h.started, h.progress, h.preview, h.terminal]) {
        if (e) safeCall(listener, e, this.log);
      }
    } else if (!this.active.has(jobId)) {
      // An older finished job: replay its end from the store.
      const job = this.storedJob(jobId);
      const end = job ? terminalEvent(job) : null;
      if (end) safeCall(listener, end, this.log);
    }
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(jobId) === set) this.listeners.delete(jobId);
    };
  }

  subscribeAll(listener: JobEventListener): () => void {
    this.allListeners.add(listener);
    return () => this.allListeners.delete(listener);
  }

  async listQueue(): Promise<QueueEntry[]> {
    const out: QueueEntry[] = [];
    const r = this.queue.running;
    if (r)
      out.push({
        jobId: r.jobId,
        owner: r.owner,
        technique: r.spec.technique,
        status: 'running',
        position: 0,
        createdAt: r.createdAt,
        estimatedWaitMs: 0,
      });
    for (const w of this.queue.waitingItems()) {
      const position = this.positionOf(w.jobId);
      out.push({
        jobId: w.jobId,
        owner: w.owner,
        technique: w.spec.technique,
        status: 'queued',
        position,
        createdAt: w.createdAt,
        estimatedWaitMs: this.waitFor(position),
      });
    }
    return out;
  }

  async storeUpload(bytes: Uint8Array): Promise<StoredUpload | EngineRefusal> {
    let decoded;
    try {
      // Header checked here, decoded in a worker thread (at most 2 at once): no upload stalls the main thread.
      decoded = await probeImage(
        bytes,
        this.options.uploadLimits ?? {
          maxBytes: this.config.uploadMaxBytes,
          maxPixels: this.config.uploadMaxPixels,
        },
      );
    } catch (err) {
      if (isImageInputError(err)) return refusal('bad_image', err.message);
      throw err;
    }
    const ref = createHash('sha256').update(bytes).digest('hex');
    const file = uploadFile(this.config.dataDir, ref);
    if (!existsSync(file)) {
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, file);
    }
    const hasAlpha = decoded.hasAlpha;
    this.store.putUpload({
      ref,
      width: decoded.width,
      height: decoded.height,
      hasAlpha,
      bytes: bytes.length,
      createdAt: Date.now(),
    });
    return { ok: true, ref, width: decoded.width, height: decoded.height, hasAlpha };
  }

  health(): EngineHealth {
    return {
      ok: this.worker.alive && !this.closing && !this.worker.info.error && this.unsaved.size === 0,
      workerAlive: this.worker.alive,
      queued: this.queue.waitingCount,
      running: this.queue.running ? 1 : 0,
      model: this.worker.info.model ?? this.config.model,
      device: this.worker.info.device ?? this.config.device,
    };
  }

  async modelInfo(model?: string): Promise<ModelInfoResult> {
    if (model !== undefined && !this.knownModel(model))
      return refusal('not_found', `I don't have a model called "${model}".`);
    const r = await this.worker.modelInfo(model);
    if ('info' in r) return { ok: true, info: r.info };
    this.log.error({ model: model ?? this.config.model, err: r.error }, 'model details unavailable');
    return refusal(r.userError ? 'not_found' : 'unavailable', 'The model could not be loaded; see the bot log.');
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.queue.pause();
    const r = this.queue.running;
    if (r) {
      r.stop ??= { kind: 'shutdown', by: null };
      r.handle?.abort(
        'The bot shut down while this job was running; it will run again after the restart.',
        5000,
      );
      await r.finished;
    }
    await this.worker.close();
    await this.backups.stop();
    if (this.unsavedTimer) clearInterval(this.unsavedTimer);
    if (this.unsaved.flush(this.store) > 0) {
      const saved = this.unsaved.saveFile(this.config.dataDir);
      this.log.error(
        { jobs: this.unsaved.size, savedAside: saved },
        saved
          ? 'job ends the store could not record were saved aside; the next start records them'
          : 'job ends the store could not record are lost; those jobs run again after the restart',
      );
    }
    this.store.close();
    this.log.info('engine closed');
  }

  // ---- internals -------------------------------------------------------------------------

  private track(jobId: string, spec: JobSpec, owner: JobOwner, createdAt: number): Active {
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    const a: Active = {
      jobId,
      spec,
      owner,
      createdAt,
      startedAt: null,
      step: 0,
      total: 0,
      handle: null,
      stop: null,
      finished,
      finish,
    };
    this.active.set(jobId, a);
    const key = `${owner.platform}:${owner.userId}`;
    this.perUser.set(key, (this.perUser.get(key) ?? 0) + 1);
    return a;
  }

  private untrack(a: Active): void {
    this.active.delete(a.jobId);
    const key = `${a.owner.platform}:${a.owner.userId}`;
    const n = (this.perUser.get(key) ?? 1) - 1;
    if (n <= 0) this.perUser.delete(key);
    else this.perUser.set(key, n);
    a.finish();
  }

  /** Jobs ahead of this one (the running one included); `adding` = it is not in the queue yet. */
  private positionOf(jobId: string, adding = false): number {
    const running = this.queue.running ? 1 : 0;
    if (adding) return running + this.queue.waitingCount;
    const i = this.queue.indexOf(jobId);
    return i < 0 ? 0 : running + i;
  }

  /** Estimated ms until a job at `position` starts: the running job's remaining time plus the estimates of the waiting ones ahead. */
  private waitFor(position: number): number {
    if (position <= 0) return 0;
    let ms = 0;
    const r = this.queue.running;
    let ahead = position;
    if (r) {
      const est = this.estimate(r.spec);
      if (r.startedAt !== null && r.step > 0 && r.total > 0) {
        const elapsed = Date.now() - r.startedAt;
        ms += Math.max(0, (elapsed / r.step) * (r.total - r.step));
      } else {
        ms += est;
      }
      ahead--;
    }
    const waiting = this.queue.waitingItems();
    for (let i = 0; i < ahead && i < waiting.length; i++) ms += this.estimate(waiting[i].spec);
    return Math.round(ms);
  }

  /** Steps a spec will run: its own, else the default model's (as the worker reported it), else 33. */
  private stepsOf(spec: JobSpec): number {
    return spec.steps ?? this.worker.knownDefaults(spec.model)?.steps ?? 33;
  }

  /** Expected run time of a spec: steps x a moving average of ms per step for its technique (or any technique). */
  private estimate(spec: JobSpec): number {
    const steps =
      spec.technique === 'noise'
        ? 1
        : Math.max(1, this.stepsOf(spec) - (spec.technique === 'sketch' ? (spec.noiseLevel ?? 0) : 0));
    const per = this.msPerStep.get(spec.technique) ?? this.msPerStep.get('*') ?? DEFAULT_MS_PER_STEP;
    return steps * per;
  }

  private learn(spec: JobSpec, ms: number): void {
    const steps =
      spec.technique === 'noise'
        ? 1
        : Math.max(1, this.stepsOf(spec) - (spec.technique === 'sketch' ? (spec.noiseLevel ?? 0) : 0));
    const per = ms / steps;
    for (const k of [spec.technique, '*']) {
      const old = this.msPerStep.get(k);
      this.msPerStep.set(k, old === undefined ? per : old + EMA * (per - old));
    }
  }

  /** Sends every waiting job its (new) position and estimated wait. */
  private announcePositions(): void {
    for (const w of this.queue.waitingItems()) {
      const position = this.positionOf(w.jobId);
      this.emit({
        type: 'queued',
        jobId: w.jobId,
        owner: w.owner,
        position,
        estimatedWaitMs: this.waitFor(position),
      });
    }
  }

  private emit(e: JobEvent): void {
    let h = this.history.get(e.jobId);
    if (!h) {
      h = {};
      this.history.set(e.jobId, h);
      if (this.history.size > HISTORY_MAX) {
        for (const [id, old] of this.history) {
          if (old.terminal) {
            this.history.delete(id);
            break;
          }
        }
      }
    }
    if (e.type === 'queued') h.queued = e;
    else if (e.type === 'started') h.started = e;
    else if (e.type === 'progress') {
      if (e.preview) h.preview = e;
      else h.progress = e;
    } else h.terminal = e;
    for (const l of this.listeners.get(e.jobId) ?? []) safeCall(l, e, this.log);
    for (const l of this.allListeners) safeCall(l, e, this.log);
  }

  private runOptions(jobId: string): RunOptions {
    return {
      frameEvery: this.config.frameEvery,
      frameSource: this.config.frameSource,
      previewEveryMs: this.config.progressIntervalMs,
      gifMaxBytes: this.config.gifMaxBytes,
      gifSize: this.config.gifSize,
      displaySize: this.config.displaySize,
      resultDir: resultDir(this.config.dataDir, jobId),
    };
  }

  /** Runs one job on the worker (called by the queue, one at a time). Never throws. */
  private async runJob(a: Active): Promise<void> {
    const log = this.log.child({ jobId: a.jobId });
    if (this.closing) return; // stays queued in the store for the next start
    const startedAt = Date.now();
    a.startedAt = startedAt;
    const notStarted = await retryWrite(() => this.store.markStarted(a.jobId, startedAt), this.retryDelays);
    if (notStarted !== null) return this.endUnsaved(a, notStarted, { status: 'failed' });
    this.metrics.queueWait.observe((startedAt - a.createdAt) / 1000);
    this.emit({ type: 'started', jobId: a.jobId, owner: a.owner, startedAt });
    log.info({ technique: a.spec.technique, waitedMs: startedAt - a.createdAt }, 'job started');

    const options = this.runOptions(a.jobId);
    const crashAt = this.options.testHooks?.crashAtStep?.(a.spec, a.jobId);
    if (crashAt !== undefined) options.crashAtStep = crashAt;
    const stallAt = this.options.testHooks?.stallAtStep?.(a.spec, a.jobId);
    if (stallAt !== undefined) options.stallAtStep = stallAt;
    // The time limit counts from the worker's start of the job, so a worker restart or a model load does not eat into it.
    let timer: NodeJS.Timeout | undefined;
    const startTimer = () => {
      timer ??= setTimeout(() => {
        a.stop ??= { kind: 'timeout', by: null };
        const limit = formatDuration(this.config.jobTimeoutMs);
        a.handle?.abort(
          `This job took longer than the limit of ${limit} and was stopped.`,
          this.options.abortGraceMs ?? 15_000,
        );
      }, this.config.jobTimeoutMs);
      timer.unref();
    };

    let previewBusy = false;
    try {
      a.handle = this.worker.run(a.jobId, a.spec, options, {
        onStarted: startTimer,
        onProgress: (step, total) => {
          a.step = step;
          a.total = total;
          this.emit({ type: 'progress', jobId: a.jobId, owner: a.owner, step, total });
        },
        onPreview: (frame, step, total) => {
          if (previewBusy) return;
          previewBusy = true;
          const up = upscaleForDisplay(
            frame.rgb,
            frame.width,
            frame.height,
            Math.min(256, this.config.displaySize),
          );
          encodePng(up.rgb, up.width, up.height)
            .then((preview) => {
              if (this.active.get(a.jobId) === a && !this.history.get(a.jobId)?.terminal) {
                this.emit({ type: 'progress', jobId: a.jobId, owner: a.owner, step, total, preview });
              }
            })
            .catch((err: unknown) => log.warn({ err: String(err) }, 'preview encoding failed'))
            .finally(() => (previewBusy = false));
        },
      });
      if (a.stop)
        a.handle.abort(
          a.stop.kind === 'cancel' ? 'Cancelled.' : 'Stopped.',
          this.options.abortGraceMs ?? 15_000,
        );
      const out = await a.handle.done;
      const finishedAt = Date.now();
      const result: JobResult = {
        jobId: a.jobId,
        technique: a.spec.technique,
        prompt: a.spec.prompt,
        ...(a.spec.prompt2 !== undefined ? { prompt2: a.spec.prompt2 } : {}),
        ...(a.spec.negative !== undefined ? { negative: a.spec.negative } : {}),
        seed: a.spec.seed,
        steps: out.spec.steps,
        guidance: out.spec.guidance,
        model: out.model,
        spec: out.spec,
        timings: {
          queuedMs: startedAt - a.createdAt,
          totalMs: Math.round(out.timings.totalMs),
          modelMs: Math.round(out.timings.modelMs),
          perStepMs: +out.timings.perStepMs.toFixed(2),
          unetCalls: out.timings.unetCalls,
          unetEvaluations: out.timings.unetEvaluations,
        },
        prompts: out.prompts,
        understood: out.understood,
        unknown: out.unknown,
        files: out.files,
      };
      this.learn(out.spec, finishedAt - startedAt);
      this.metrics.jobDuration.observe({ technique: a.spec.technique }, (finishedAt - startedAt) / 1000);
      if (out.timings.perStepMs > 0) this.metrics.stepLatency.observe(out.timings.perStepMs / 1000);
      await this.finishJob(a, 'done', { result });
      log.info({ ms: finishedAt - startedAt, modelMs: result.timings.modelMs }, 'job done');
    } catch (err) {
      const f =
        err instanceof RunFailure
          ? err
          : new RunFailure(err instanceof Error ? err.message : String(err), false, false, false);
      if (a.stop?.kind === 'cancel') {
        await this.finishJob(a, 'cancelled', { by: a.stop.by });
        log.info('job cancelled while running');
      } else if (a.stop?.kind === 'shutdown') {
        // Left as 'running' in the store: recovery on the next start runs it again (or reports it).
        this.untrack(a);
        log.info('job interrupted by shutdown');
      } else {
        const reason =
          a.stop?.kind === 'timeout' ? 'timeout' : f.crashed ? 'crash' : f.userError ? 'input' : 'error';
        const message =
          a.stop?.kind === 'timeout' || f.crashed || f.userError
            ? f.message
            : `Something went wrong while running this job: ${f.message}`;
        await this.finishJob(a, 'failed', { message, reason });
        log.warn({ reason, err: f.message }, 'job failed');
      }
    } finally {
      clearTimeout(timer);
      a.handle = null;
    }
  }

  private get retryDelays(): number[] {
    return this.options.storeRetryDelaysMs ?? STORE_RETRY_DELAYS_MS;
  }

  /** Ends a job: records it in the store (with retries), then tells subscribers and frees its slots. Never throws. */
  private async finishJob(
    a: Active,
    status: 'done' | 'failed' | 'cancelled',
    d: { result?: JobResult; message?: string; reason?: string; by?: string | null; recovered?: boolean },
  ): Promise<void> {
    if (this.active.get(a.jobId) !== a) return;
    const at = Date.now();
    const unsaved = await retryWrite(() => {
      if (status === 'done' && d.result) this.store.markDone(a.jobId, d.result, at);
      else if (status === 'failed') this.store.markFailed(a.jobId, d.message ?? 'failed', at);
      else this.store.markCancelled(a.jobId, d.by ?? null, at);
    }, this.retryDelays);
    // A result the store cannot record ends as failed: after a restart it could not be found.
    if (unsaved !== null)
      return this.endUnsaved(a, unsaved, {
        status: status === 'cancelled' ? 'cancelled' : 'failed',
        ...(status === 'failed' ? { message: d.message ?? 'failed', reason: d.reason } : {}),
        by: d.by ?? null,
      });
    if (this.active.get(a.jobId) !== a) return; // ended meanwhile
    if (status === 'done' && d.result) {
      this.untrack(a);
      this.emit({ type: 'done', jobId: a.jobId, owner: a.owner, result: d.result });
    } else if (status === 'failed') {
      this.metrics.failures.inc({ reason: d.reason ?? 'error' });
      this.untrack(a);
      this.emit({
        type: 'failed',
        jobId: a.jobId,
        owner: a.owner,
        message: d.message ?? 'failed',
        ...(d.recovered ? { recovered: true } : {}),
      });
    } else {
      this.untrack(a);
      this.emit({ type: 'cancelled', jobId: a.jobId, owner: a.owner, by: d.by ?? null });
    }
    this.metrics.jobs.inc({ technique: a.spec.technique, status });
  }

  /**
   * Ends a job whose end the store refused to record (a full disk), or whose run threw: in memory
   * at once (owner told, slots freed, live updates closed), in the store once it accepts writes.
   */
  private endUnsaved(
    a: Active,
    err: unknown,
    d: { status: 'failed' | 'cancelled'; message?: string; reason?: string; by?: string | null },
  ): void {
    if (this.active.get(a.jobId) !== a) return;
    const why = describeWriteError(err);
    const message =
      d.message ??
      `This job could not be saved because the bot's storage is failing (${why}); please try again later.`;
    this.log.error(
      { jobId: a.jobId, err: why },
      'job ended in memory: its run threw or the job store refused a write (retried until it accepts writes)',
    );
    this.unsaved.add({ jobId: a.jobId, status: d.status, message, by: d.by ?? null, at: Date.now() });
    this.untrack(a);
    if (d.status === 'failed') {
      this.metrics.failures.inc({ reason: d.reason ?? 'store' });
      this.emit({ type: 'failed', jobId: a.jobId, owner: a.owner, message });
    } else this.emit({ type: 'cancelled', jobId: a.jobId, owner: a.owner, by: d.by ?? null });
    this.metrics.jobs.inc({ technique: a.spec.technique, status: d.status });
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

  /** Re-queues (or fails, per RECOVERY) jobs that a previous process left queued or running. */
  private async recover(): Promise<void> {
    const left = this.store.byStatus(['queued', 'running']);
    if (left.length === 0) return;
    let requeued = 0;
    let failed = 0;
    for (const j of left) {
      if (this.active.has(j.jobId)) continue;
      const a = this.track(j.jobId, j.spec, j.owner, j.createdAt);
      const interruptedTwice = j.status === 'running' && j.attempts >= 2;
      if (this.config.recovery === 'fail' || interruptedTwice) {
        const message = interruptedTwice
          ? 'This job was interrupted twice by a restart of the bot, so it was not run again.'
          : 'The bot restarted before this job finished; please submit it again.';
        await this.finishJob(a, 'failed', { message, reason: 'restart', recovered: true });
        failed++;
      } else {
        try {
          if (j.status === 'running') this.store.markQueued(j.jobId);
        } catch (err) {
          this.log.warn(
            { jobId: j.jobId, err: describeWriteError(err) },
            'could not mark a recovered job queued',
          );
        }
        this.queue.add(a);
        requeued++;
      }
    }
    this.announcePositions();
    this.log.info({ requeued, failed }, 'recovered jobs from the previous run');
  }

  /** Deletes result files older than RETENTION_DAYS and uploads no waiting job needs; job rows stay (🔁 keeps working). */
  async prune(now = Date.now()): Promise<{ results: number; uploads: number }> {
    if (this.config.retentionDays <= 0) return { results: 0, uploads: 0 };
    const before = now - this.config.retentionDays * 86_400_000;
    let results = 0;
    let uploads = 0;
    for (const j of this.store.prunable(before)) {
      await rm(resultDir(this.config.dataDir, j.jobId), { recursive: true, force: true });
      this.store.markPruned(j.jobId);
      results++;
    }
    for (const ref of this.store.prunableUploads(before)) {
      await rm(uploadFile(this.config.dataDir, ref), { force: true });
      this.store.deleteUpload(ref);
      uploads++;
    }
    if (results + uploads > 0) this.log.info({ results, uploads }, 'pruned old results');
    return { results, uploads };
  }

  private modelList(): Set<string> {
    const now = Date.now();
    if (!this.modelNames || now - this.modelNames.at > 30_000) {
      this.modelNames = {
        at: now,
        names: new Set(
          listModels(this.config.modelsDir)
            .filter((m) => !m.error)
            .map((m) => m.name),
        ),
      };
    }
    return this.modelNames.names;
  }

  private knownModel(name: string): boolean {
    if (name === this.config.model) return true;
    return this.modelList().has(name);
  }

  /** A stored job, with any end the store has not recorded yet applied. */
  private storedJob(jobId: string): StoredJob | null {
    const job = this.store.get(jobId);
    const u = job ? this.unsaved.get(jobId) : undefined;
    if (!job || !u) return job;
    const error = u.status === 'failed' ? u.message : job.error;
    return { ...job, status: u.status, error, finishedAt: u.at, cancelledBy: u.by };
  }

  private toRecord(job: StoredJob): JobRecord {
    const a = this.active.get(job.jobId);
    const status: JobStatus = a ? (this.queue.running === a ? 'running' : 'queued') : job.status;
    return {
      jobId: job.jobId,
      spec: job.spec,
      owner: job.owner,
      status,
      parentId: job.parentId,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
      error: job.error,
      result: job.result,
      position: status === 'queued' ? this.positionOf(job.jobId) : null,
    };
  }
}

/** The terminal event of a finished stored job, or null while it is queued or running. */
function terminalEvent(job: StoredJob): JobEvent | null {
  const base = { jobId: job.jobId, owner: job.owner };
  if (job.status === 'done' && job.result) return { type: 'done', ...base, result: job.result };
  if (job.status === 'failed') return { type: 'failed', ...base, message: job.error ?? 'failed' };
  if (job.status === 'cancelled') return { type: 'cancelled', ...base, by: job.cancelledBy };
  return null;
}

/** "1 second", "90 seconds", "10 minutes", "1.5 minutes". */
function formatDuration(ms: number): string {
  const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (ms < 120_000) return plural(Math.round(ms / 1000), 'second');
  return plural(+(ms / 60_000).toFixed(1), 'minute');
}

function cleanOwner(o: JobOwner): JobOwner {
  return {
    platform: String(o.platform),
    userId: String(o.userId),
    ...(o.channelRef !== undefined ? { channelRef: String(o.channelRef) } : {}),
    ...(o.messageRef !== undefined ? { messageRef: String(o.messageRef) } : {}),
  };
}

function safeCall(l: JobEventListener, e: JobEvent, log: Logger): void {
  try {
    l(e);
  } catch (err) {
    log.error(
      { jobId: e.jobId, err: err instanceof Error ? err.message : String(err) },
      'job event listener threw',
    );
  }
}

/** Creates the in-process engine from the config (call start() once adapters have subscribed). */
export function createEngine(config: Config, options: EngineOptions = {}): LocalEngine {
  return new LocalEngine(config, options);
}
