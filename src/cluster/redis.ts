// Runs in the bot's process (scale-out front-end) and the scale-out worker.
// Redis names and connections of scale-out mode: one BullMQ queue per model, the key names of
// blobs, the worker registry and cancel requests, and ioredis clients whose connection errors
// are logged as one clear line (then every 30 s while Redis stays away) instead of crashing.
import type { RedisOptions } from 'bullmq';
import { Redis, type RedisOptions as ClientOptions } from 'ioredis';
import type { Logger } from '../jobs/logger.ts';

/** Prefix of every key this project writes to Redis (BullMQ's own keys use it too). */
export const PREFIX = 'diffuse';

/** The BullMQ queue of a model (queue names may not contain ':'). */
export function queueName(model: string): string {
  return `model-${model.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/** Redis keys outside BullMQ. */
export const keys = {
  /** A blob (upload, result file, preview) by name. */
  blob: (name: string) => `${PREFIX}:blob:${name}`,
  /** Sorted set of the workers serving a model, scored by the time their registration expires. */
  modelWorkers: (model: string) => `${PREFIX}:model-workers:${model}`,
  /** Facts of a model (ModelInfo JSON) as a worker that loads it reported them. */
  modelInfo: (model: string) => `${PREFIX}:model-info:${model}`,
  /** Set of every model some worker has registered (to list them). */
  models: `${PREFIX}:models`,
  /** A cancel request for a job (checked when a worker takes it). */
  cancel: (jobId: string) => `${PREFIX}:cancel:${jobId}`,
  /** Pub/sub channel of cancel requests (message: the job id). */
  cancelChannel: `${PREFIX}:cancel`,
};

/** Connection options of REDIS_URL for BullMQ (which opens its own connections). */
export function connectionOptions(url: string): RedisOptions {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new Error(`REDIS_URL must start with redis:// or rediss:// (got ${u.protocol}//...)`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(Number.isInteger(db) ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // Reconnect forever, at most every 2 s.
    retryStrategy: (times: number) => Math.min(2000, 100 * times),
  };
}

/** REDIS_URL without its password, for log lines. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(unparsable)';
  }
}

/** Logs a connection's loss once (then every 30 s while it lasts) and its return. */
export function watchConnection(
  emitter: { on(event: string, fn: (...args: unknown[]) => void): unknown },
  what: string,
  log: Logger,
): void {
  let downSince: number | null = null;
  let lastLog = 0;
  emitter.on('error', (err: unknown) => {
    const now = Date.now();
    if (downSince === null) downSince = now;
    if (now - lastLog < 30_000) return;
    lastLog = now;
    const msg = err instanceof Error ? err.message : String(err);
    log.error({ err: msg }, `${what}: Redis is unreachable (${msg}); retrying until it is back`);
  });
  emitter.on('ready', () => {
    if (downSince === null) return;
    log.info({ downMs: Date.now() - downSince }, `${what}: Redis connection is back`);
    downSince = null;
    lastLog = 0;
  });
}

/**
 * A plain client for blobs, the registry and cancel requests. Commands fail at once while Redis
 * is away (no offline queue), so a request gets a clear answer instead of hanging.
 */
export function createClient(url: string, log: Logger, what: string): Redis {
  const client = new Redis({
    ...(connectionOptions(url) as ClientOptions),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  });
  watchConnection(client, what, log);
  return client;
}

/** Whether a client is connected and ready for commands. */
export function isReady(client: Redis): boolean {
  return client.status === 'ready';
}

/** Rejects after `ms` (a Redis command that would wait for a reconnection gets a clear answer instead). */
export function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>(
      (_, reject) => (t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)),
    ),
  ]).finally(() => clearTimeout(t));
}
