// Runs in the bot's process (and a scale-out front-end).
// The in-process engine: validates and stores jobs (SQLite), queues them FIFO on one device
// (p-queue, concurrency 1), runs them on the inference worker process, and reports progress.
// It implements the Engine interface of api.ts; a distributed backend can replace it. Its parts:
// events.ts (event hub and replay), live-jobs.ts (jobs in memory, admission), eta.ts (wait
// estimates), job-runner.ts (one run), job-ends.ts (recording ends), recovery.ts, uploads.ts.
import { mkdir } from 'node:fs/promises';
import type { Config } from '../config.ts';
import {
  refusal,
  type Actor,
  type Engine,
  type EngineHealth,
  type EngineRefusal,
  type JobOwner,
  type JobRecord,
  type JobStatus,
  type ModelInfoResult,
  type UnderstandResult,
  type QueueEntry,
  type StoredUpload,
  type SubmitOptions,
  type SubmitResult,
} from '../jobs/api.ts';
import { StoreBackups } from '../store/backup.ts';
import { ContentRules, loadGlobalRules } from './content-rules.ts';
import { EtaEstimator } from './eta.ts';
import { EventHub } from './events.ts';
import { JobEnds } from './job-ends.ts';
import { JobReads } from './job-reads.ts';
import { cancelTarget, rerollOf } from './job-requests.ts';
import { runJob, type RunContext } from './job-runner.ts';
import { cleanOwner, LiveJobs, newJobId, type LiveJob } from './live-jobs.ts';
import { createLogger, type Logger } from '../jobs/logger.ts';
import { createEngineMetrics, type EngineMetrics } from '../jobs/metrics.ts';
import { dbFile } from '../jobs/paths.ts';
import { DeviceQueue } from './queue.ts';
import { QueuePositions } from './positions.ts';
import { pruneOld, recoverJobs, removeOldSideFile } from './recovery.ts';
import { checkSpec, KnownModels } from './spec-checks.ts';
import { DEFAULT_SPEC_LIMITS, type SpecLimits } from '../jobs/spec.ts';
import { SettingsStore } from '../store/settings-store.ts';
import { orphanWarning } from '../store/store-check.ts';
import { describeWriteError, JobStore, recordOf, type StoredJob } from '../store/store.ts';
import { storeUpload } from './uploads.ts';
import { healthReason, StorageHealth } from '../jobs/storage-health.ts';
import { InferenceWorker, type WorkerFactory } from '../inference/worker.ts';
import { ConceptRequests } from '../inference/concept-client.ts';
import { UnderstandRequests } from '../inference/understand-client.ts';
import { watchWorker, workerConfigFrom } from '../inference/worker-setup.ts';

/** Options of createEngine beyond the config. */
export interface EngineOptions {
  logger?: Logger;
  /** Collect Node's default process metrics too (default true). */
  defaultMetrics?: boolean;
  /** Upload decode limits (bytes, pixels); default UPLOAD_MAX_BYTES / UPLOAD_MAX_PIXELS. */
  uploadLimits?: { maxBytes?: number; maxPixels?: number };
  /** DATA_DIR's disk as /healthz sees it (tests give one with a free-space reading of their own). */
  storageHealth?: StorageHealth;
  /** Grace time for a running job to stop after cancel or time limit before the worker is terminated (default 15 s). */
  abortGraceMs?: number;
  /** Delays between the tries of a job-store write before the job is ended in memory (default 50, 250, 1000 ms). */
  storeRetryDelaysMs?: number[];
  /** Creates the inference worker (default: the production process); the test suite injects one that crashes or stalls on cue. */
  worker?: WorkerFactory;
}

/** Delays between the tries of a job-store write (ms). */
const STORE_RETRY_DELAYS_MS = [50, 250, 1000];

export { newJobId };

/** The in-process engine (p-queue + inference process + SQLite). Call start() after subscribing adapters. */
export class LocalEngine extends JobReads implements Engine {
  readonly store: JobStore;
  readonly worker: InferenceWorker;
  readonly metrics: EngineMetrics;
  readonly log: Logger;
  /** Online backups of the job store (STORE_BACKUPS, STORE_BACKUP_HOURS). */
  readonly backups: StoreBackups;
  /** Per-user, per-server and per-channel settings, in the job store's database. */
  readonly settings: SettingsStore;
  private readonly contentRules: ContentRules;
  private readonly queue: DeviceQueue<LiveJob>;
  protected readonly live = new LiveJobs();
  protected readonly events: EventHub;
  protected readonly ends: JobEnds;
  private readonly eta: EtaEstimator;
  private readonly positions: QueuePositions;
  private readonly limits: SpecLimits;
  private readonly runContext: RunContext;
  private readonly models: KnownModels;
  private readonly concepts: ConceptRequests;
  private readonly understanding: UnderstandRequests;
  private readonly uploadLimits: { maxBytes?: number; maxPixels?: number };
  /** DATA_DIR's disk for /healthz: failed upload writes and free space. */
  private readonly storage: StorageHealth;
  private started = false;
  private pruneTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly config: Config,
    private readonly options: EngineOptions = {},
  ) {
    super();
    this.log = options.logger ?? createLogger(config.logLevel);
    this.limits = { ...DEFAULT_SPEC_LIMITS, maxSteps: config.maxSteps };
    this.uploadLimits = options.uploadLimits ?? {
      maxBytes: config.uploadMaxBytes,
      maxPixels: config.uploadMaxPixels,
    };
    this.storage = options.storageHealth ?? new StorageHealth(config.dataDir);
    // A missing or empty store next to earlier results is reported, not silently reused.
    const orphans = orphanWarning(dbFile(config.dataDir));
    if (orphans) this.log.warn(orphans);
    const globalRules = loadGlobalRules(config); // a bad rule or unreadable file stops start-up, naming it
    this.store = new JobStore(dbFile(config.dataDir));
    this.settings = new SettingsStore(this.store.db);
    this.contentRules = new ContentRules(globalRules, this.settings);
    this.backups = new StoreBackups(
      this.store,
      { keep: config.storeBackups, everyHours: config.storeBackupHours },
      this.log,
    );
    this.events = new EventHub(this.log);
    this.queue = new DeviceQueue<LiveJob>(
      (job) => runJob(this.runContext, job),
      () => this.positions.announce(),
      // A run that threw anyway still ends, visibly to its owner.
      (job, err) => {
        this.log.error({ jobId: job.jobId, err: describeWriteError(err) }, 'a job run threw');
        void this.ends.finish(job, 'failed', {
          message: 'Something went wrong while running this job; please try again.',
          reason: 'error',
        });
      },
    );
    this.metrics = createEngineMetrics(
      { queueLength: () => this.queue.waitingCount, running: () => (this.queue.running ? 1 : 0) },
      options.defaultMetrics ?? true,
    );
    const retryDelaysMs = options.storeRetryDelaysMs ?? STORE_RETRY_DELAYS_MS;
    const rerun = config.recovery === 'requeue';
    this.ends = new JobEnds(this.store, this.live, this.events, this.metrics, this.log, retryDelaysMs, rerun);
    const workerConfig = workerConfigFrom(config, this.uploadLimits);
    this.worker = options.worker ? options.worker(workerConfig) : new InferenceWorker(workerConfig);
    this.models = new KnownModels(config, this.worker);
    this.concepts = new ConceptRequests(this.worker);
    this.understanding = new UnderstandRequests(this.worker);
    this.eta = new EtaEstimator((model) => this.worker.knownDefaults(model)?.steps);
    this.positions = new QueuePositions(this.queue, this.eta, this.events);
    this.runContext = {
      config,
      store: this.store,
      worker: this.worker,
      live: this.live,
      events: this.events,
      ends: this.ends,
      eta: this.eta,
      metrics: this.metrics,
      log: this.log,
      abortGraceMs: options.abortGraceMs ?? 15_000,
      retryDelaysMs,
      closing: () => this.closing,
    };
    watchWorker(this.worker, this.log, this.metrics, config.model);
  }

  /** Starts the worker, recovers the jobs a previous run left queued or running, and schedules retention pruning. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await mkdir(this.config.dataDir, { recursive: true });
    this.worker.start();
    removeOldSideFile(this.config.dataDir, this.log);
    await recoverJobs({
      store: this.store,
      live: this.live,
      log: this.log,
      recovery: this.config.recovery,
      fail: (job, message) =>
        this.ends.finish(job, 'failed', { message, reason: 'restart', recovered: true }),
      enqueue: (job) => this.queue.add(job),
      announcePositions: () => this.positions.announce(),
    });
    this.tookUpLeftJobs = true;
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
    const down = this.refusalWhileClosing();
    if (down) return down;
    const checked = await checkSpec(input, {
      limits: this.limits,
      worker: this.worker,
      models: this.models,
      store: this.store,
    });
    if (!checked.ok) return checked;
    const spec = checked.spec;
    // Another user's upload or private job reads as absent.
    const hidden = this.inputRefusal(spec, owner, options.parentId);
    if (hidden) return hidden;
    // Every job passes here (new, regenerated, follow-up): its prompts meet the content rules in force now.
    // Words and phrases also meet the concepts the model understood, asked of the inference process.
    const banned =
      this.contentRules.check(spec, owner) ??
      (await this.contentRules.checkConcepts(spec, owner, this.concepts.lookup, (err) =>
        this.log.warn({ err }, 'job refused: the content rules could not be checked on its concepts'),
      ));
    if (banned) return banned;
    const refused = this.checkAdmission(owner);
    if (refused) return refused;
    const jobId = newJobId();
    const createdAt = Date.now();
    const cleaned = cleanOwner(owner);
    try {
      this.store.insert({ jobId, spec, owner: cleaned, parentId: options.parentId ?? null, createdAt });
    } catch (err) {
      this.log.error({ err: describeWriteError(err) }, 'could not store a new job');
      return refusal(
        'unavailable',
        "The bot can't save new jobs right now (its storage is failing); try again later.",
      );
    }
    const a = this.live.add(jobId, spec, cleaned, createdAt);
    const position = this.positions.positionOf(jobId, true);
    const estimatedWaitMs = this.positions.waitFor(position);
    this.events.emit({ type: 'queued', jobId, owner: a.owner, position, estimatedWaitMs });
    this.queue.add(a);
    this.log.info(
      { jobId, technique: spec.technique, platform: owner.platform, parentId: options.parentId },
      'job queued',
    );
    return { ok: true, jobId, position, estimatedWaitMs, spec };
  }

  async regenerate(jobId: string, owner: JobOwner, seed?: number): Promise<SubmitResult> {
    // Another user's private job reads as absent; the reroll of a private job is private.
    const stored = this.visibleJob(jobId, owner);
    const reroll = rerollOf(jobId, stored, seed);
    if (!reroll.ok) return reroll;
    const priv = owner.private === true || stored?.owner.private === true;
    return this.submit(reroll.input, priv ? { ...owner, private: true } : owner, reroll.options);
  }

  async cancel(jobId: string, by: Actor): Promise<{ ok: true; status: JobStatus } | EngineRefusal> {
    const live = this.live.get(jobId);
    const target = cancelTarget(
      jobId,
      live,
      live ? null : this.storedJob(jobId),
      by,
      this.config.adminUserIds,
    );
    if (!target.ok) return target;
    const a = target.job;

    if (this.queue.remove(jobId)) {
      await this.ends.finish(a, 'cancelled', { by: by.userId });
      return { ok: true, status: this.storedJob(jobId)?.status ?? 'cancelled' }; // failed if the store refused it
    }
    // Running: the abort reaches the sampling loop at its next step.
    a.stop ??= { kind: 'cancel', by: by.userId };
    a.handle?.abort('Cancelled.', this.runContext.abortGraceMs);
    await a.finished;
    const after = this.storedJob(jobId);
    return { ok: true, status: after?.status ?? 'cancelled' };
  }

  async listQueue(): Promise<QueueEntry[]> {
    return this.positions.list();
  }

  async storeUpload(bytes: Uint8Array, owner?: JobOwner): Promise<StoredUpload | EngineRefusal> {
    const to = { dataDir: this.config.dataDir, store: this.store, limits: this.uploadLimits, storage: this.storage };
    return storeUpload(bytes, to, owner);
  }

  health(): EngineHealth {
    const stalled = this.worker.stalledMs();
    const reason = healthReason({
      closing: this.closing,
      workerAlive: this.worker.alive,
      workerError: this.worker.info.error,
      storeWriteFailure: this.store.writeFailure,
      stalledMs: stalled,
      storage: this.storage.problem(),
    });
    return {
      ok: reason === null,
      ...(reason !== null ? { reason } : {}),
      workerAlive: this.worker.alive,
      ...(stalled !== null ? { inferenceStalledMs: stalled } : {}),
      queued: this.queue.waitingCount,
      running: this.queue.running ? 1 : 0,
      model: this.worker.info.model ?? this.config.model,
      device: this.worker.info.device ?? this.config.device,
    };
  }

  async modelInfo(model?: string): Promise<ModelInfoResult> {
    if (model !== undefined && !(await this.models.has(model)))
      return refusal('not_found', `I don't have a model called "${model}".`);
    const r = await this.worker.modelInfo(model);
    if ('info' in r) return { ok: true, info: r.info };
    this.log.error({ model: model ?? this.config.model, err: r.error }, 'model details unavailable');
    return refusal(
      r.userError ? 'not_found' : 'unavailable',
      'The model could not be loaded; see the bot log.',
    );
  }

  async understand(text: string, model?: string): Promise<UnderstandResult> {
    if ([...text].length > this.limits.maxPromptChars)
      return refusal('invalid_spec', `The text is too long (at most ${this.limits.maxPromptChars} characters).`);
    if (model !== undefined && !(await this.models.has(model)))
      return refusal('not_found', `I don't have a model called "${model}".`);
    const r = await this.understanding.ask(text, model);
    if (r.ok) return r;
    this.log.error({ model: model ?? this.config.model, err: r.error }, 'prompt understanding unavailable');
    return refusal(r.userError ? 'not_found' : 'unavailable', 'The model could not read the text; see the bot log.');
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
    this.store.close();
    this.log.info('engine closed');
  }

  /** Deletes result files older than RETENTION_DAYS and uploads no waiting job needs; job rows stay (🔁 keeps working). */
  prune(now = Date.now()): Promise<{ results: number; uploads: number }> {
    return pruneOld(this.store, this.config.dataDir, this.config.retentionDays, now, this.log);
  }

  // ---- internals -------------------------------------------------------------------------

  protected override queuedWait(position: number): number {
    return this.positions.waitFor(position);
  }

  protected toRecord(job: StoredJob): JobRecord {
    const live = this.live.get(job.jobId);
    const status: JobStatus = live ? (this.queue.running === live ? 'running' : 'queued') : job.status;
    return recordOf(job, status, status === 'queued' ? this.positions.positionOf(job.jobId) : null);
  }
}

/** Creates the in-process engine from the config (call start() once adapters have subscribed). */
export function createEngine(config: Config, options: EngineOptions = {}): LocalEngine {
  return new LocalEngine(config, options);
}
