// `npm start`: runs every chat adapter whose credentials are configured (Discord, Slack); with
// none, the local playground alone. One engine (queue, job store, inference worker) serves all.
// A chat adapter that cannot log in or connect logs one line and tries again with a backoff; it
// never takes the engine or the other adapters down. Start-up errors of the process itself (a
// refused or unbindable address, an unwritable DATA_DIR, a job store that cannot be opened) end
// in one line on stderr and exit code 1 (2 for a bad setting).
import { existsSync } from 'node:fs';
import { enabledAdapters, type AdapterName } from './adapters/enabled.ts';
import { formatWait, oneLine, startWithRetry, type RetryingStart } from './adapters/retry.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createBackend, type RunningEngine } from './cluster/backend.ts';
import { armShutdownDeadline, SHUTDOWN_DEADLINE_MS } from './entry-point.ts';
import { startHealthServer } from './engine/http-health.ts';
import { processLogger, type Logger } from './jobs/logger.ts';
import { checkDataDir } from './store/data-dir.ts';

/** Longest wait for the chat adapters' first login before the engine starts anyway. */
const FIRST_LOGIN_WAIT_MS = 15_000;

interface Running {
  name: string;
  stop(): Promise<void>;
}

/** Every secret of the config, cut out of any error text that reaches a log line or stderr. */
function secretsOf(config: Config): string[] {
  const s = config.slack;
  return [
    config.discord.token,
    s.botToken,
    s.appToken,
    s.signingSecret,
    config.playground.token,
    config.cluster.redisUrl,
  ].filter((x): x is string => !!x);
}

/** Ends start-up with one line on stderr (never a stack trace) and `code`. */
function fail(message: string, code = 1): never {
  console.error(`diffuse-bot: ${message}`);
  process.exit(code);
}

/** A listen error as a sentence naming the address and the settings that choose it. */
function listenError(
  err: unknown,
  what: string,
  host: string,
  port: number,
  settings: string,
  secrets: string[],
): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (!code || typeof code !== 'string') return oneLine(err, secrets);
  const why: Record<string, string> = {
    EADDRINUSE: 'the port is in use',
    EADDRNOTAVAIL: 'the address is not one of this machine',
    EACCES: 'permission denied (ports below 1024 need privileges)',
    ENOTFOUND: 'the host name does not resolve',
    EAI_AGAIN: 'the host name does not resolve',
  };
  return `${what} cannot listen on ${host}:${port}: ${why[code] ?? oneLine(err, secrets)}. Check ${settings}.`;
}

/** Starts a chat adapter in the background: each failure is one warning line, then a retry after a doubling wait. */
function keepStarting(
  name: Exclude<AdapterName, 'playground'>,
  start: () => Promise<void>,
  config: Config,
  logger: Logger,
): RetryingStart<void> {
  const label = name === 'discord' ? 'Discord' : 'Slack';
  const secrets = secretsOf(config);
  const policy = { baseMs: config.adapterRetryMs, maxMs: Math.max(config.adapterRetryMs, 300_000) };
  return startWithRetry(start, policy, (err, attempt, waitMs) =>
    logger.warn(
      { adapter: name, attempt, retryInMs: waitMs },
      `${label} adapter could not start: ${oneLine(err, secrets).replace(/\.$/, '')}; retrying in ${formatWait(waitMs)}`,
    ),
  );
}

/** One line per adapter before anything connects: what will run, and why the playground does not. */
function logStartPlan(adapters: AdapterName[], config: Config, logger: Logger): void {
  if (adapters.includes('discord')) logger.info('Discord: connecting');
  if (adapters.includes('slack')) logger.info(`Slack: connecting (${config.slack.mode} mode)`);
  if (adapters.includes('playground')) return;
  logger.info(
    config.playground.mode === 'off'
      ? 'playground: off (PLAYGROUND=off)'
      : 'playground: off (chat tokens set; PLAYGROUND=on to keep it)',
  );
}

async function main(): Promise<void> {
  // Settings from ./.env when present (variables already in the environment win).
  if (existsSync('.env')) {
    try {
      process.loadEnvFile('.env');
    } catch (err) {
      fail(`cannot read ./.env: ${oneLine(err)}`, 2);
    }
  }
  let config: Config;
  let adapters: AdapterName[];
  try {
    config = loadConfig();
    adapters = enabledAdapters(config);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
  const secrets = secretsOf(config);
  const logger = processLogger(config);
  // A stray rejection in a chat library must not take the bot (and the running job) down.
  process.on('unhandledRejection', (err) =>
    logger.error({ err: oneLine(err, secrets) }, 'unhandled promise rejection'),
  );

  const dataDirProblem = checkDataDir(config.dataDir);
  if (dataDirProblem) fail(dataDirProblem);
  let engine: RunningEngine;
  try {
    engine = await createBackend(config, logger);
  } catch (err) {
    fail(oneLine(err, secrets));
  }

  const running: Running[] = [];
  const retries: RetryingStart<void>[] = [];
  let stopping = false;
  // From here on a signal stops whatever has started (pending adapter retries are cancelled).
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: shutting down`);
    armShutdownDeadline(() =>
      logger.warn(`the stop did not finish within ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting`),
    );
    for (const r of retries) r.cancel();
    for (const r of [...running].reverse())
      await r
        .stop()
        .catch((err: unknown) => logger.error({ err: oneLine(err, secrets) }, `stopping ${r.name}`));
    await engine.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  logStartPlan(adapters, config, logger);
  for (const name of adapters) {
    if (name === 'discord') {
      const { DiscordAdapter } = await import('./adapters/discord/index.ts');
      // One adapter for all attempts: it reports recovered jobs from now on, and posts them once logged in.
      const bot = new DiscordAdapter(engine, config, { logger });
      running.push({ name, stop: () => bot.stop() });
      const login = async () => {
        await bot.start();
        logger.info(`Discord adapter started${bot.userTag ? ` (logged in as ${bot.userTag})` : ''}`);
      };
      retries.push(keepStarting(name, login, config, logger));
    } else if (name === 'slack') {
      const { startSlackBot } = await import('./adapters/slack/index.ts');
      const start = async () => {
        const bot = await startSlackBot(config, engine);
        if (stopping) return void (await bot.stop());
        running.push({ name, stop: () => bot.stop() });
        logger.info(`Slack adapter started (${config.slack.mode} mode)`);
      };
      retries.push(keepStarting(name, start, config, logger));
    } else {
      const { startPlayground } = await import('./adapters/playground/index.ts');
      try {
        const pg = await startPlayground(config, engine, { logger });
        running.push({ name, stop: () => pg.stop() });
        const why = adapters.length > 1 ? 'beside the chat adapters, PLAYGROUND=on' : 'no Discord or Slack credentials configured';
        console.log(`diffuse-bot playground: ${pg.url}  (${why})`);
      } catch (err) {
        const { host, port } = config.playground;
        fail(listenError(err, 'The playground', host, port, 'PLAYGROUND_HOST and PLAYGROUND_PORT', secrets));
      }
    }
  }
  // /healthz and /metrics answer from here on, while the engine starts (a Redis that is down at
  // start shows there as not ok, rather than as a port that does not answer).
  if (config.metricsPort > 0 && !stopping) {
    try {
      const health = await startHealthServer({
        host: config.metricsHost,
        port: config.metricsPort,
        health: () => engine.health(),
        registry: engine.metrics.registry,
      });
      running.push({ name: 'metrics', stop: () => health.close() });
      logger.info(`health and metrics on ${health.url}`);
      if (!/^(127\.|::1$|localhost$)/.test(config.metricsHost))
        logger.warn(
          `METRICS_HOST ${config.metricsHost} serves /healthz and /metrics to other machines without authentication; keep that address on a private network`,
        );
    } catch (err) {
      const { metricsHost: host, metricsPort: port } = config;
      fail(
        listenError(
          err,
          'The health and metrics server',
          host,
          port,
          'METRICS_HOST and METRICS_PORT (0 turns it off)',
          secrets,
        ),
      );
    }
  }
  // Adapters that log in at once see the engine's recovery events (jobs of a previous run); one
  // that is slow or failing does not hold the engine up for long.
  let capTimer: NodeJS.Timeout | undefined;
  const cap = new Promise<void>((resolve) => (capTimer = setTimeout(resolve, FIRST_LOGIN_WAIT_MS)));
  await Promise.race([Promise.all(retries.map((r) => r.firstAttempt)), cap]);
  clearTimeout(capTimer);
  if (stopping) return;
  try {
    await engine.start();
  } catch (err) {
    fail(oneLine(err, secrets));
  }
}

await main().catch((err: unknown) => fail(oneLine(err)));
