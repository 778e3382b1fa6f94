// Runs in the bot's process (scale-out front-end) and the scale-out worker.
// Chooses the engine `npm start` runs: without REDIS_URL the embedded LocalEngine (p-queue, worker
// thread, SQLite: nothing else to install); with it the DistributedEngine front-end, plus a local
// worker process share (ClusterWorker) unless WORKER=off.
import type { Config } from '../config.ts';
import type { Engine } from '../jobs/api.ts';
import { createEngine } from '../engine/index.ts';
import type { Logger } from '../jobs/logger.ts';
import type { EngineMetrics } from '../jobs/metrics.ts';

/** An engine as `npm start` drives it. */
export type RunningEngine = Engine & {
  start(): Promise<void>;
  close(): Promise<void>;
  readonly metrics: EngineMetrics;
};

/** The engine of the config: embedded, or a scale-out front-end (with a local worker unless WORKER=off); BullMQ loads only then. */
export async function createBackend(config: Config, logger: Logger): Promise<RunningEngine> {
  if (!config.cluster.redisUrl) return createEngine(config, { logger });
  logger.info({ localWorker: config.cluster.worker }, 'scale-out mode: jobs go through Redis');
  const { DistributedEngine } = await import('./distributed-engine.ts');
  if (!config.cluster.worker) return new DistributedEngine(config, { logger });
  const { ClusterWorker } = await import('./cluster-worker.ts');
  /** A front-end with a worker in the same process. */
  class FrontendWithWorker extends DistributedEngine {
    private readonly worker = new ClusterWorker(config, logger, { defaultMetrics: false });

    override async start(): Promise<void> {
      await super.start();
      // The models load in the background: chat adapters answer meanwhile (a job waits in Redis).
      void this.worker
        .start()
        .catch((err: unknown) =>
          this.log.error(
            { err: err instanceof Error ? err.message : String(err) },
            'the local worker could not start',
          ),
        );
    }

    override async close(): Promise<void> {
      await this.worker.close();
      await super.close();
    }
  }
  return new FrontendWithWorker(config, { logger });
}
