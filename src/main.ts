// `npm start`: runs every chat adapter whose credentials are configured (Discord, Slack); with
// none, the local playground alone. One engine (queue, job store, inference worker) serves all.
import { existsSync } from 'node:fs';
import { enabledAdapters } from './adapters/enabled.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createEngine } from './engine/engine.ts';
import { startHealthServer } from './engine/http-health.ts';
import { createLogger } from './engine/logger.ts';

interface Running {
  name: string;
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  // Settings from ./.env when present (variables already in the environment win).
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config: Config;
  let adapters: ReturnType<typeof enabledAdapters>;
  try {
    config = loadConfig();
    adapters = enabledAdapters(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`diffuse-bot: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  // A stray rejection in a chat library must not take the bot (and the running job) down.
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled promise rejection'));
  const engine = createEngine(config, { logger });
  const running: Running[] = [];
  for (const name of adapters) {
    if (name === 'discord') {
      const { startDiscord } = await import('./adapters/discord/index.ts');
      const bot = await startDiscord(engine, config, { logger });
      running.push({ name, stop: () => bot.stop() });
      logger.info('Discord adapter started');
    } else if (name === 'slack') {
      const { startSlackBot } = await import('./adapters/slack/index.ts');
      const bot = await startSlackBot(config, engine);
      running.push({ name, stop: () => bot.stop() });
      logger.info(`Slack adapter started (${config.slack.mode} mode)`);
    } else {
      const { startPlayground } = await import('./adapters/playground/index.ts');
      const pg = await startPlayground(config, engine);
      running.push({ name, stop: () => pg.stop() });
      console.log(`diffuse-bot playground: ${pg.url}  (no Discord or Slack credentials configured)`);
    }
  }
  await engine.start();
  if (config.metricsPort > 0) {
    const health = await startHealthServer({
      host: config.metricsHost,
      port: config.metricsPort,
      health: () => engine.health(),
      registry: engine.metrics.registry,
    });
    running.push({ name: 'metrics', stop: () => health.close() });
    logger.info(`health and metrics on ${health.url}`);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: shutting down`);
    for (const r of running.reverse())
      await r.stop().catch((err) => logger.error({ err }, `stopping ${r.name}`));
    await engine.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

await main();
