// One typed parser of the environment. Every setting has a default (see .env.example);
// secrets are redacted whenever the config is logged, stringified or inspected.
import { inspect } from 'node:util';
import path from 'node:path';
import { z } from 'zod';
import { loadGlobalRules } from './engine/content-rules.ts';

const REDACTED = '[redacted]';

/** Settings of the Discord adapter. */
export interface DiscordConfig {
  token?: string;
  appId?: string;
  guildId?: string;
  /** REST/gateway API base (tests point it at a local fake). */
  apiBase?: string;
  allowedChannels: string[];
  allowedRoles: string[];
  allowDms: boolean;
}

/** Settings of the Slack adapter. */
export interface SlackConfig {
  botToken?: string;
  appToken?: string;
  signingSecret?: string;
  mode: 'socket' | 'http';
  port: number;
  /** HTTP mode: listen address (127.0.0.1 by default: put a TLS reverse proxy in front). */
  host: string;
  /** Web API base URL (tests point it at a local fake). */
  apiUrl?: string;
}

/** Settings of the local playground. */
export interface PlaygroundConfig {
  /** PLAYGROUND: auto = only when no chat platform is configured; on = beside the chat adapters too; off = never. */
  mode: 'auto' | 'on' | 'off';
  host: string;
  port: number;
  token?: string;
}

/** Settings of scale-out mode (BullMQ on Redis); see docs/scaling.md. */
export interface ClusterConfig {
  /** REDIS_URL: set = jobs go through BullMQ on this Redis; unset = the embedded queue (secret: may hold a password). */
  redisUrl?: string;
  /** WORKER: whether `npm start` also runs a local worker when REDIS_URL is set. */
  worker: boolean;
  /** WORKER_MODELS: the models a worker serves (default: MODEL). */
  workerModels: string[];
  /** CLUSTER_LOCK_MS: a worker's job lock; a worker silent this long is taken as dead and its job retried (once). */
  lockMs: number;
  /** BLOB_TTL_HOURS: how long uploads, results and previews stay in Redis. */
  blobTtlSeconds: number;
}

/** The whole configuration. */
export interface Config {
  dataDir: string;
  model: string;
  modelsDir: string;
  /** Execution device: cpu, cuda, webgpu, or auto (cuda, then a hardware WebGPU adapter, then cpu). */
  device: 'cpu' | 'cuda' | 'webgpu' | 'auto';
  cudaDeviceId: number;
  cpuFallback: boolean;
  /** 0 = onnxruntime's default. */
  intraOpThreads: number;
  /** Nice value of the inference process and all its threads (0 normal, 19 lowest). */
  inferenceNice: number;
  /** A running job's inference process silent for longer (and for 4x its longest silence so far) makes /healthz not ok. */
  inferenceStallMs: number;
  queueMax: number;
  userMaxPending: number;
  maxSteps: number;
  /** Largest accepted upload, in bytes. */
  uploadMaxBytes: number;
  /** Largest accepted upload, in pixels (width x height, read from the header before decoding). */
  uploadMaxPixels: number;
  jobTimeoutMs: number;
  gifMaxBytes: number;
  /** A trajectory frame every k steps. */
  frameEvery: number;
  /** Frames show the noisy x_t (as the study) or the predicted x0. */
  frameSource: 'xt' | 'x0';
  /** What live previews show: the predicted clean image x0 (a picture that sharpens) or x_t. */
  previewSource: 'xt' | 'x0';
  /** Least time between progress events that carry a preview PNG. */
  progressIntervalMs: number;
  /** Edge length (px) the final PNG is upscaled to for display. */
  displaySize: number;
  /** Edge length (px) of GIF frames (before shrinking to fit the byte limit). */
  gifSize: number;
  /** Results older than this are pruned; 0 keeps them forever. */
  retentionDays: number;
  /** Online backups of the job store kept in DATA_DIR/backups (0 disables backups). */
  storeBackups: number;
  /** Hours between two backups of the job store. */
  storeBackupHours: number;
  /** What a restart does with jobs that were queued or running: run them again, or report them failed. */
  recovery: 'requeue' | 'fail';
  /** First wait (ms) before a chat adapter that could not log in or connect tries again; doubles up to 5 min. */
  adapterRetryMs: number;
  /** 0 disables the metrics/health server. */
  metricsPort: number;
  metricsHost: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** LOG_FORMAT: auto = readable lines on a terminal, JSON lines otherwise; json or pretty force one. */
  logFormat: 'auto' | 'json' | 'pretty';
  adminUserIds: string[];
  /** Banned words or /patterns/ (linear-time engine) checked on every prompt, everywhere (CONTENT_RULES, comma-separated). */
  contentRules: string[];
  /** A file of more rules, one per line (CONTENT_RULES_FILE). */
  contentRulesFile?: string;
  discord: DiscordConfig;
  slack: SlackConfig;
  playground: PlaygroundConfig;
  cluster: ClusterConfig;
}

/** Thrown by loadConfig with one line per bad setting. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const str = (def: string) => z.string().default(def);
const secret = () => z.string().optional();
const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce
    .number({ error: 'must be a number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` })
    .default(def);
const bool = (def: boolean) =>
  z
    .enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off'], { error: 'must be true or false' })
    .transform((v) => ['1', 'true', 'yes', 'on'].includes(v))
    .default(def);
const list = () =>
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .default([]);

const ENV = z.object({
  DATA_DIR: str('./data'),
  MODEL: str('emoji'),
  MODELS_DIR: str('./models'),
  DEVICE: z
    .enum(['cpu', 'cuda', 'webgpu', 'auto'], { error: 'must be cpu, cuda, webgpu or auto' })
    .default('cpu'),
  CUDA_DEVICE_ID: int(0, 0, 64),
  CPU_FALLBACK: bool(true),
  INTRA_OP_THREADS: int(0, 0, 1024),
  INFERENCE_NICE: int(10, 0, 19),
  INFERENCE_STALL_MS: int(30_000, 1000),
  QUEUE_MAX: int(50, 1, 100_000),
  USER_MAX_PENDING: int(2, 1, 1000),
  MAX_STEPS: int(100, 1, 999),
  UPLOAD_MAX_BYTES: int(10 * 1024 * 1024, 1024),
  UPLOAD_MAX_PIXELS: int(25_000_000, 64),
  JOB_TIMEOUT_MS: int(600_000, 1000),
  GIF_MAX_BYTES: int(8 * 1024 * 1024, 16 * 1024),
  FRAME_EVERY: int(1, 1, 1000),
  FRAME_SOURCE: z.enum(['xt', 'x0'], { error: 'must be xt or x0' }).default('xt'),
  PREVIEW_SOURCE: z.enum(['xt', 'x0'], { error: 'must be xt or x0' }).default('x0'),
  PROGRESS_INTERVAL_MS: int(1500, 0),
  DISPLAY_SIZE: int(512, 16, 4096),
  GIF_SIZE: int(256, 16, 2048),
  RETENTION_DAYS: int(30, 0),
  STORE_BACKUPS: int(3, 0, 1000),
  STORE_BACKUP_HOURS: int(24, 1, 24 * 365),
  RECOVERY: z.enum(['requeue', 'fail'], { error: 'must be requeue or fail' }).default('requeue'),
  ADAPTER_RETRY_MS: int(5000, 10, 300_000),
  METRICS_PORT: int(9464, 0, 65535),
  METRICS_HOST: str('127.0.0.1'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be a pino level (info, debug, ...)',
    })
    .default('info'),
  LOG_FORMAT: z.enum(['auto', 'json', 'pretty'], { error: 'must be auto, json or pretty' }).default('auto'),
  ADMIN_USER_IDS: list(),
  CONTENT_RULES: list(),
  CONTENT_RULES_FILE: z.string().optional(),
  DISCORD_TOKEN: secret(),
  DISCORD_APP_ID: secret(),
  DISCORD_GUILD_ID: secret(),
  DISCORD_API_BASE: secret(),
  DISCORD_ALLOWED_CHANNELS: list(),
  DISCORD_ALLOWED_ROLES: list(),
  DISCORD_ALLOW_DMS: bool(false),
  SLACK_BOT_TOKEN: secret(),
  SLACK_APP_TOKEN: secret(),
  SLACK_SIGNING_SECRET: secret(),
  SLACK_MODE: z.enum(['socket', 'http'], { error: 'must be socket or http' }).default('socket'),
  SLACK_PORT: int(3000, 0, 65535),
  SLACK_HOST: str('127.0.0.1'),
  SLACK_API_URL: secret(),
  PLAYGROUND: z.enum(['auto', 'on', 'off'], { error: 'must be auto, on or off' }).default('auto'),
  PLAYGROUND_HOST: str('127.0.0.1'),
  PLAYGROUND_PORT: int(8080, 0, 65535),
  PLAYGROUND_TOKEN: secret(),
  REDIS_URL: secret(),
  WORKER: bool(true),
  WORKER_MODELS: list(),
  CLUSTER_LOCK_MS: int(30_000, 500, 3_600_000),
  BLOB_TTL_HOURS: int(24, 1, 24 * 365),
});

/** Every setting name loadConfig reads. */
export const SETTING_NAMES: readonly string[] = Object.keys(ENV.shape);

/** Names of the settings that hold secrets; their values never appear in logs. */
export const SECRET_SETTINGS = [
  'DISCORD_TOKEN',
  'SLACK_BOT_TOKEN',
  'SLACK_APP_TOKEN',
  'SLACK_SIGNING_SECRET',
  'PLAYGROUND_TOKEN',
  'REDIS_URL',
] as const;

/** Parses the environment into a typed Config (empty values count as unset); throws ConfigError naming each bad setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(ENV.shape)) {
    const v = env[key];
    if (v !== undefined && v.trim() !== '') raw[key] = v.trim();
  }
  const parsed = ENV.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${String(i.path[0])} ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  const discord = redactable<DiscordConfig>(
    {
      token: e.DISCORD_TOKEN,
      appId: e.DISCORD_APP_ID,
      guildId: e.DISCORD_GUILD_ID,
      apiBase: e.DISCORD_API_BASE,
      allowedChannels: e.DISCORD_ALLOWED_CHANNELS,
      allowedRoles: e.DISCORD_ALLOWED_ROLES,
      allowDms: e.DISCORD_ALLOW_DMS,
    },
    ['token'],
  );
  const slack = redactable<SlackConfig>(
    {
      botToken: e.SLACK_BOT_TOKEN,
      appToken: e.SLACK_APP_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      mode: e.SLACK_MODE,
      port: e.SLACK_PORT,
      host: e.SLACK_HOST,
      apiUrl: e.SLACK_API_URL,
    },
    ['botToken', 'appToken', 'signingSecret'],
  );
  const playground = redactable<PlaygroundConfig>(
    { mode: e.PLAYGROUND, host: e.PLAYGROUND_HOST, port: e.PLAYGROUND_PORT, token: e.PLAYGROUND_TOKEN },
    ['token'],
  );
  const cluster = redactable<ClusterConfig>(
    {
      redisUrl: e.REDIS_URL,
      worker: e.WORKER,
      workerModels: e.WORKER_MODELS.length > 0 ? e.WORKER_MODELS : [e.MODEL],
      lockMs: e.CLUSTER_LOCK_MS,
      blobTtlSeconds: e.BLOB_TTL_HOURS * 3600,
    },
    ['redisUrl'],
  );
  const config: Config = {
    dataDir: path.resolve(e.DATA_DIR),
    model: e.MODEL,
    modelsDir: path.resolve(e.MODELS_DIR),
    device: e.DEVICE,
    cudaDeviceId: e.CUDA_DEVICE_ID,
    cpuFallback: e.CPU_FALLBACK,
    intraOpThreads: e.INTRA_OP_THREADS,
    inferenceNice: e.INFERENCE_NICE,
    inferenceStallMs: e.INFERENCE_STALL_MS,
    queueMax: e.QUEUE_MAX,
    userMaxPending: e.USER_MAX_PENDING,
    maxSteps: e.MAX_STEPS,
    uploadMaxBytes: e.UPLOAD_MAX_BYTES,
    uploadMaxPixels: e.UPLOAD_MAX_PIXELS,
    jobTimeoutMs: e.JOB_TIMEOUT_MS,
    gifMaxBytes: e.GIF_MAX_BYTES,
    frameEvery: e.FRAME_EVERY,
    frameSource: e.FRAME_SOURCE,
    previewSource: e.PREVIEW_SOURCE,
    progressIntervalMs: e.PROGRESS_INTERVAL_MS,
    displaySize: e.DISPLAY_SIZE,
    gifSize: e.GIF_SIZE,
    retentionDays: e.RETENTION_DAYS,
    storeBackups: e.STORE_BACKUPS,
    storeBackupHours: e.STORE_BACKUP_HOURS,
    recovery: e.RECOVERY,
    adapterRetryMs: e.ADAPTER_RETRY_MS,
    metricsPort: e.METRICS_PORT,
    metricsHost: e.METRICS_HOST,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    adminUserIds: e.ADMIN_USER_IDS,
    contentRules: e.CONTENT_RULES,
    ...(e.CONTENT_RULES_FILE ? { contentRulesFile: path.resolve(e.CONTENT_RULES_FILE) } : {}),
    discord,
    slack,
    playground,
    cluster,
  };
  try {
    // Content rules are checked at start with the engine that will match them (linear time).
    loadGlobalRules(config);
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${(err as Error).message}`);
  }
  return redactable(config, []);
}

/** A copy of the config with every secret replaced by "[redacted]" (unset secrets stay unset). */
export function redactConfig(config: Config): Config {
  const hide = (v: string | undefined) => (v === undefined ? undefined : REDACTED);
  return {
    ...config,
    discord: { ...config.discord, token: hide(config.discord.token) },
    slack: {
      ...config.slack,
      botToken: hide(config.slack.botToken),
      appToken: hide(config.slack.appToken),
      signingSecret: hide(config.slack.signingSecret),
    },
    playground: { ...config.playground, token: hide(config.playground.token) },
    cluster: { ...config.cluster, redisUrl: hide(config.cluster.redisUrl) },
  };
}

/** Adds non-enumerable toJSON / toString / util.inspect hooks that hide the named keys (and nested redactable groups). */
function redactable<T extends object>(obj: T, secrets: (keyof T)[]): T {
  const view = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (secrets.includes(k as keyof T)) out[k] = v === undefined ? undefined : REDACTED;
      else if (v && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function')
        out[k] = (v as { toJSON(): unknown }).toJSON();
      else out[k] = v;
    }
    return out;
  };
  Object.defineProperty(obj, 'toJSON', { value: view, enumerable: false });
  Object.defineProperty(obj, 'toString', { value: () => JSON.stringify(view()), enumerable: false });
  Object.defineProperty(obj, inspect.custom, { value: () => view(), enumerable: false });
  return obj;
}
