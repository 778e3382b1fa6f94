// Runs in the bot's process (scale-out front-end) and the scale-out worker.
// The worker registry: each worker registers the models it serves in Redis with a heartbeat
// (a sorted set per model, scored by when the registration expires), and the facts of each
// model (ModelInfo). Front-ends read it to refuse jobs for a model no worker serves.
import type { Redis } from 'ioredis';
import type { ModelInfo } from '../jobs/api.ts';
import { keys } from './redis.ts';

/** A registration lasts this many heartbeats without renewal. */
const TTL_BEATS = 3;

/** A worker's registration: renewed every `beatMs` until stop(). */
export class Registration {
  private timer: NodeJS.Timeout | null = null;
  private readonly models = new Map<string, ModelInfo>();

  constructor(
    private readonly redis: Redis,
    readonly workerId: string,
    private readonly beatMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Registers a model this worker serves (with its facts) and starts the heartbeat. */
  async add(model: string, info: ModelInfo): Promise<void> {
    this.models.set(model, info);
    await this.beat().catch(this.onError);
    this.timer ??= setInterval(() => void this.beat().catch(this.onError), this.beatMs);
    this.timer.unref();
  }

  /** Renews every registration. */
  async beat(): Promise<void> {
    const until = Date.now() + TTL_BEATS * this.beatMs;
    const ttl = Math.ceil((TTL_BEATS * this.beatMs) / 1000) + 60;
    const m = this.redis.multi();
    for (const [model, info] of this.models) {
      m.zadd(keys.modelWorkers(model), until, this.workerId);
      m.sadd(keys.models, model);
      m.set(keys.modelInfo(model), JSON.stringify(info), 'EX', ttl);
    }
    await m.exec();
  }

  /** Removes this worker's registrations (at shutdown). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const m = this.redis.multi();
    for (const model of this.models.keys()) m.zrem(keys.modelWorkers(model), this.workerId);
    await m.exec().catch(this.onError);
  }
}

/** Workers alive and facts per model, as read at one moment. */
export type RegistrySnapshot = Map<string, { workers: number; info: ModelInfo | null }>;

/** What front-ends read: the workers alive per model and each model's facts. */
export class RegistryView {
  constructor(private readonly redis: Redis) {}

  /** How many workers serve `model` now. */
  async workers(model: string): Promise<number> {
    return this.redis.zcount(keys.modelWorkers(model), Date.now(), '+inf');
  }

  /** Models with at least one live worker. */
  async servedModels(): Promise<string[]> {
    const all = await this.redis.smembers(keys.models);
    const out: string[] = [];
    for (const m of all.sort()) if ((await this.workers(m)) > 0) out.push(m);
    return out;
  }

  /** Workers and facts of every served model (and of `always`, served or not). */
  async snapshot(always: string): Promise<RegistrySnapshot> {
    const next: RegistrySnapshot = new Map();
    for (const m of new Set([always, ...(await this.servedModels())]))
      next.set(m, { workers: await this.workers(m), info: await this.info(m) });
    return next;
  }

  /** Facts of a model as a worker reported them, or null. */
  async info(model: string): Promise<ModelInfo | null> {
    const text = await this.redis.get(keys.modelInfo(model));
    return text ? (JSON.parse(text) as ModelInfo) : null;
  }
}
