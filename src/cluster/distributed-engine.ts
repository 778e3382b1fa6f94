// Runs in the bot's process (scale-out front-end) and the scale-out worker.
// The front-end engine of scale-out mode (REDIS_URL set): validates jobs, applies the queue and
// per-user limits at submit (with the same messages as embedded mode), keeps its jobs in its own
// SQLite store (for 🔁 and restarts), and sends them through BullMQ to the workers that serve
// their model. It implements the same Engine interface as the embedded LocalEngine, so the chat
// adapters do not know which one they talk to. BullMQ's events become job events (frontend-sync.ts).
import { healthReason, StorageHealth } from '../jobs/storage-health.ts';
import { mkdir } from 'node:fs/promises';
import type { Redis } from 'ioredis';
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
import {
  ContentRules,
  EtaEstimator,
  EventHub,
  JobEnds,
  JobReads,
  LiveJobs,
  cancelTarget,
  checkSpec,
  cleanOwner,
  loadGlobalRules,
  newJobId,
  pruneOld,
  removeOldSideFile,
  rerollOf,
  storeUpload,
  type LiveJob,
} from '../engine/index.ts';
import { createLogger, type Logger } from '../jobs/logger.ts';
import { createEngineMetrics, type EngineMetrics } from '../jobs/metrics.ts';
import { dbFile } from '../jobs/paths.ts';
import { DEFAULT_SPEC_LIMITS, type SpecLimits } from '../jobs/spec.ts';
import { SettingsStore } from '../store/settings-store.ts';
import { describeWriteError, JobStore, recordOf, type StoredJob } from '../store/store.ts';
import { BlobStore, blobNames } from './blobs.ts';
import { ClusterSync } from './frontend-sync.ts';
import { queueEntries } from './queue-view.ts';
import { createClient, isReady, keys, within } from './redis.ts';
import { RegistryView, type RegistrySnapshot } from './registry.ts';

const UNREACHABLE =
  "The job queue can't be reached right now (its Redis server is down); try again in a minute.";

/** Options of the distributed engine. */
export interface DistributedOptions {
  logger?: Logger;
  defaultMetrics?: boolean;
  /** Ms between two reconciles of held jobs with BullMQ (default 10 s). */
  reconcileMs?: number;
}

/** The front-end engine of scale-out mode. Call start() after subscribing adapters. */
export class DistributedEngine extends JobReads implements Engine {
  readonly store: JobStore;
  readonly metrics: EngineMetrics;
  readonly log: Logger;
  /** Per-user, per-server and per-channel settings, in this front-end's job store. */
  readonly settings: SettingsStore;
  private readonly contentRules: ContentRules;
  protected readonly live = new LiveJobs();
  protected readonly events: EventHub;
  protected readonly ends: JobEnds;
  private readonly eta: EtaEstimator;
  private readonly limits: SpecLimits;
  private readonly redis: Redis;
  private readonly blobs: BlobStore;
  private readonly registry: RegistryView;
  private readonly sync: ClusterSync;
  /** What the registry said last: workers and facts per model. */
  private served: RegistrySnapshot = new Map();
  private timers: NodeJS.Timeout[] = [];
  /** The content rules' words and phrases of each held job, as they were at its submit. */
  private readonly contentWords = new Map<string, string[]>();
  /** DATA_DIR's disk (uploads, the job store) for /healthz. */
  private readonly storage: StorageHealth;

  constructor(
    readonly config: Config,
    private readonly options: DistributedOptions = {},
  ) {
    super();
    if (!config.cluster.redisUrl) throw new Error('the distributed engine needs REDIS_URL');
    this.log = options.logger ?? createLogger(config.logLevel);
    this.limits = { ...DEFAULT_SPEC_LIMITS, maxSteps: config.maxSteps };
    const globalRules = loadGlobalRules(config); // a bad rule or unreadable file stops start-up, naming it
    this.store = new JobStore(dbFile(config.dataDir));
    this.settings = new SettingsStore(this.store.db);
    this.storage = new StorageHealth(config.dataDir);
    this.contentRules = new ContentRules(globalRules, this.settings);
    this.events = new EventHub(this.log);
    this.metrics = createEngineMetrics(
      {
        queueLength: () => this.liveJobs().filter((j) => j.startedAt === null).length,
        running: () => this.liveJobs().filter((j) => j.startedAt !== null).length,
      },
      options.defaultMetrics ?? true,
    );
    this.ends = new JobEnds(this.store, this.live, this.events, this.metrics, this.log, [50, 250, 1000]);
    this.eta = new EtaEstimator((model) => this.served.get(model ?? config.model)?.info?.defaults.steps);
    this.redis = createClient(config.cluster.redisUrl, this.log, 'front-end');
    this.blobs = new BlobStore(this.redis, config.cluster.blobTtlSeconds);
    this.registry = new RegistryView(this.redis);
    this.sync = new ClusterSync({
      config,
      store: this.store,
      live: this.live,
      events: this.events,
      ends: this.ends,
      eta: this.eta,
      metrics: this.metrics,
      blobs: this.blobs,
      log: this.log,
      // Words and phrases also apply to the model's concepts: the worker that has the model checks
      // them. Taken at submit (the stored owner has no server); a job taken up after a restart gets
      // the global and channel lists.
      contentWords: (job) => this.contentWords.get(job.jobId) ?? this.contentRules.wordsFor(job.owner) ?? [],
    });
  }

  /** Takes up the jobs this front-end left queued or running (they went on in Redis meanwhile) and starts listening. */
  async start(): Promise<void> {
    await mkdir(this.config.dataDir, { recursive: true });
    removeOldSideFile(this.config.dataDir, this.log);
    const left = this.store.byStatus(['queued', 'running']);
    for (const j of left) {
      if (this.live.has(j.jobId)) continue;
      const job = this.live.add(j.jobId, j.spec, j.owner, j.createdAt);
      if (j.status === 'running') job.startedAt = j.startedAt;
      this.sync.track(j.jobId, j.spec.model ?? this.config.model);
    }
    this.tookUpLeftJobs = true;
    // A first connection (up to 5 s); without Redis the front-end starts anyway and refuses jobs until it is back.
    if (!isReady(this.redis))
      await within(new Promise((r) => this.redis.once('ready', r)), 5000).catch(() => undefined);
    await this.refreshRegistry();
    await within(this.sync.queue(this.config.model), 5000).catch(() => undefined);
    await this.reconcile();
    if (left.length)
      this.log.info({ jobs: left.length }, 'took up the jobs of the previous run from the job queue');
    this.timers.push(setInterval(() => void this.refreshRegistry(), 2000));
    this.timers.push(setInterval(() => void this.reconcile(), this.options.reconcileMs ?? 10_000));
    if (this.config.retentionDays > 0)
      this.timers.push(setInterval(() => void this.prune().catch(() => undefined), 3_600_000));
    for (const t of this.timers) t.unref();
    await this.prune().catch((err: unknown) =>
      this.log.error({ err: String(err) }, 'pruning old results failed'),
    );
  }

  // ---- Engine interface ------------------------------------------------------------------

  async submit(input: unknown, owner: JobOwner, options: SubmitOptions = {}): Promise<SubmitResult> {
    const down = this.refusalWhileClosing();
    if (down) return down;
    const checked = await checkSpec(input, {
      limits: this.limits,
      worker: { knownInfo: (m) => this.served.get(m ?? this.config.model)?.info ?? undefined },
      // Any model name passes here: the registry check below says whether a worker serves it.
      models: { has: async () => true, list: async () => new Set(this.served.keys()) },
      store: this.store,
    });
    if (!checked.ok) return checked;
    const spec = checked.spec;
    // Another user's upload or private job reads as absent.
    const hidden = this.inputRefusal(spec, owner, options.parentId);
    if (hidden) return hidden;
    // The same content rules as embedded mode, checked by the front-end that took the request (as
    // text; the worker checks the model's concepts before the run, with the words sent in the job).
    const banned = this.contentRules.check(spec, owner);
    if (banned) return banned;
    const early = this.checkAdmission(owner);
    if (early) return early;
    if (!isReady(this.redis)) return refusal('unavailable', UNREACHABLE);
    const model = spec.model ?? this.config.model;
    let workers: number;
    try {
      workers = await within(this.registry.workers(model), 3000);
      if (!(await within(this.sync.shareUploads(spec), 10_000)))
        return refusal('bad_image', 'I no longer have the image of that request; attach it again.');
    } catch (err) {
      this.log.warn({ err: String(err) }, 'job refused: Redis did not answer');
      return refusal('unavailable', UNREACHABLE);
    }
    if (workers === 0)
      return refusal(
        'unavailable',
        `No worker serves the model "${model}" right now, so this job can't run; try again later or ask an admin to start a worker for it.`,
      );
    const refused = this.checkAdmission(owner); // again: other jobs may have been accepted meanwhile
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
    const a = this.live.add(jobId, spec, cleanOwner(owner), createdAt);
    this.contentWords.set(jobId, this.contentRules.wordsFor(owner) ?? []);
    void a.finished.then(() => this.contentWords.delete(jobId));
    let position = 0;
    try {
      const c = await within(this.sync.counts(model), 3000);
      position = Math.max(0, c.waiting + c.active - workers + 1);
      await within(this.sync.add(a, model), 5000);
    } catch (err) {
      this.log.warn({ jobId, err: String(err) }, 'job refused: it could not be queued in Redis');
      await this.ends.finish(a, 'failed', { message: UNREACHABLE, reason: 'unavailable' });
      return refusal('unavailable', UNREACHABLE);
    }
    const estimatedWaitMs = Math.round((position * this.eta.estimate(spec)) / Math.max(1, workers));
    if (this.live.holds(a) && a.startedAt === null)
      this.events.emit({ type: 'queued', jobId, owner: a.owner, position, estimatedWaitMs });
    this.log.info(
      { jobId, model, technique: spec.technique, platform: owner.platform, parentId: options.parentId },
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
    try {
      if (await within(this.sync.removeWaiting(jobId), 3000)) {
        await this.ends.finish(a, 'cancelled', { by: by.userId });
        return { ok: true, status: this.storedJob(jobId)?.status ?? 'cancelled' }; // failed if the store refused it
      }
      // Running on a worker: the request reaches it over pub/sub (and the key covers a job just being taken).
      a.stop ??= { kind: 'cancel', by: by.userId };
      await within(this.redis.set(keys.cancel(jobId), by.userId, 'EX', 86_400), 3000);
      await within(this.redis.publish(keys.cancelChannel, jobId), 3000);
    } catch (err) {
      this.log.warn({ jobId, err: String(err) }, 'cancel failed: Redis did not answer');
      return refusal('unavailable', UNREACHABLE);
    }
    await Promise.race([a.finished, new Promise((r) => setTimeout(r, 20_000).unref())]);
    const after = this.storedJob(jobId);
    return { ok: true, status: after?.status ?? 'cancelled' };
  }

  async listQueue(): Promise<QueueEntry[]> {
    return queueEntries(this.liveJobs(), (j) => this.eta.estimate(j.spec));
  }

  async storeUpload(bytes: Uint8Array, owner?: JobOwner): Promise<StoredUpload | EngineRefusal> {
    const limits = { maxBytes: this.config.uploadMaxBytes, maxPixels: this.config.uploadMaxPixels };
    const r = await storeUpload(bytes, { dataDir: this.config.dataDir, store: this.store, limits, storage: this.storage }, owner);
    // Workers read it from Redis; when Redis is away now, submit puts it there later.
    if (r.ok) await this.blobs.put(blobNames.upload(r.ref), bytes).catch(() => undefined);
    return r;
  }

  health(): EngineHealth {
    const mine = this.served.get(this.config.model);
    const jobs = this.liveJobs();
    const workers = mine?.workers ?? 0;
    const reason = [
      healthReason({
        closing: this.closing,
        workerAlive: workers > 0,
        storeWriteFailure: this.store.writeFailure,
        stalledMs: null,
        storage: this.storage.problem(),
      }),
      isReady(this.redis) ? null : 'Redis is unreachable',
    ]
      .filter(Boolean)
      .join('; ')
      .replace('the inference process is not running', `no worker serves the model ${this.config.model}`);
    return {
      ok: reason === '',
      ...(reason !== '' ? { reason } : {}),
      workerAlive: (mine?.workers ?? 0) > 0,
      queued: jobs.filter((j) => j.startedAt === null).length,
      running: jobs.filter((j) => j.startedAt !== null).length,
      model: this.config.model,
      device: mine?.info?.device ?? `cluster (${mine?.workers ?? 0} workers)`,
    };
  }

  async modelInfo(model?: string): Promise<ModelInfoResult> {
    const name = model ?? this.config.model;
    await this.refreshRegistry();
    const s = this.served.get(name);
    if (s?.info && s.workers > 0) return { ok: true, info: s.info };
    if (!isReady(this.redis)) return refusal('unavailable', UNREACHABLE);
    const code = model === undefined ? 'unavailable' : 'not_found';
    return refusal(code, `No worker serves the model "${name}" right now.`);
  }

  /** Refused: the front end holds no model; the workers read prompts (a job's reply says what was understood). */
  async understand(_text: string, _model?: string): Promise<UnderstandResult> {
    return refusal(
      'unavailable',
      'Checking what the model understands before a job is not available with scale-out workers; the job\'s reply says what it understood.',
    );
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    // Queued and running jobs go on in Redis; the next start takes them up again.
    for (const j of this.liveJobs()) this.live.remove(j);
    await this.sync.close();
    this.store.close();
    this.redis.disconnect();
    this.log.info('engine closed');
  }

  /** Deletes result files older than RETENTION_DAYS and uploads no waiting job needs. */
  prune(now = Date.now()): Promise<{ results: number; uploads: number }> {
    return pruneOld(this.store, this.config.dataDir, this.config.retentionDays, now, this.log);
  }

  // ---- internals -------------------------------------------------------------------------

  private liveJobs(): LiveJob[] {
    const out: LiveJob[] = [];
    for (const j of this.store.byStatus(['queued', 'running'])) {
      const a = this.live.get(j.jobId);
      if (a) out.push(a);
    }
    return out;
  }

  private async reconcile(): Promise<void> {
    if (this.closing || !isReady(this.redis)) return;
    await this.sync
      .reconcile()
      .catch((err: unknown) =>
        this.log.warn({ err: String(err) }, 'reconciling jobs with Redis failed; retrying later'),
      );
  }

  private async refreshRegistry(): Promise<void> {
    if (!isReady(this.redis)) return;
    try {
      this.served = await this.registry.snapshot(this.config.model);
    } catch (err) {
      this.log.debug({ err: String(err) }, 'could not read the worker registry');
    }
  }

  protected toRecord(job: StoredJob): JobRecord {
    const live = this.live.get(job.jobId);
    const status: JobStatus = live ? (live.startedAt !== null ? 'running' : 'queued') : job.status;
    const waiting = () => this.liveJobs().filter((j) => j.startedAt === null);
    const position = status === 'queued' ? waiting().findIndex((j) => j.jobId === job.jobId) : null;
    return recordOf(job, status, position);
  }
}
