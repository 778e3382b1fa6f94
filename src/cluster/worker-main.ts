// Runs in the bot's process (scale-out front-end) and the scale-out worker.
// `npm run worker` (and `diffuse worker`): a worker process of scale-out mode alone, for a GPU
// host. It needs REDIS_URL; loads the models of WORKER_MODELS (default MODEL), takes their jobs
// from Redis, and serves /healthz and /metrics on METRICS_HOST:METRICS_PORT. SIGINT/SIGTERM put
// a running job back in the queue and exit. Start-up errors end in one line on stderr (exit 2 for
// a bad setting, 1 otherwise).
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { armShutdownDeadline, isEntryPoint, SHUTDOWN_DEADLINE_MS } from '../entry-point.ts';
import { startHealthServer } from '../engine/index.ts';
import { processLogger } from '../jobs/logger.ts';
import { ClusterWorker } from './cluster-worker.ts';
import { safeUrl } from './redis.ts';

function fail(message: string, code = 1): never {
  console.error(`diffuse-worker: ${message}`);
  process.exit(code);
}

const text = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Runs a worker process until a signal stops it. */
export async function runWorkerProcess(): Promise<void> {
  if (existsSync('.env')) {
    try {
      process.loadEnvFile('.env');
    } catch (err) {
      fail(`cannot read ./.env: ${text(err)}`, 2);
    }
  }
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
  const url = config.cluster.redisUrl;
  if (!url) fail('REDIS_URL is not set: a worker takes its jobs from Redis (see docs/scaling.md).', 2);
  const logger = processLogger(config);
  process.on('unhandledRejection', (err) => logger.error({ err: text(err) }, 'unhandled promise rejection'));
  let worker: ClusterWorker;
  try {
    worker = new ClusterWorker(config, logger);
  } catch (err) {
    fail(text(err), 2);
  }
  let stopHealth: (() => Promise<void>) | null = null;
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: worker shutting down`);
    armShutdownDeadline(() =>
      logger.warn(`the stop did not finish within ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting`),
    );
    await worker.close();
    await stopHealth?.();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  if (config.metricsPort > 0) {
    try {
      const h = await startHealthServer({
        host: config.metricsHost,
        port: config.metricsPort,
        health: () => worker.health(),
        registry: worker.metrics.registry,
      });
      stopHealth = h.close;
      logger.info(`worker health and metrics on ${h.url}`);
    } catch (err) {
      fail(
        `The worker's health and metrics server cannot listen on ${config.metricsHost}:${config.metricsPort}: ${text(err)}. Check METRICS_HOST and METRICS_PORT.`,
      );
    }
  }
  logger.info({ redis: safeUrl(url), models: config.cluster.workerModels }, 'worker starting');
  try {
    await worker.start();
  } catch (err) {
    fail(text(err));
  }
}

if (isEntryPoint(import.meta.url)) await runWorkerProcess();
