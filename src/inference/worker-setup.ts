// Runs in the bot's process.
// Setting up the engine's inference worker: its settings from the bot's config, and the log
// lines and metrics of its start, restarts and errors.
import type { Config } from '../config.ts';
import type { Logger } from '../jobs/logger.ts';
import type { EngineMetrics } from '../jobs/metrics.ts';
import type { InferenceWorker, WorkerConfig, WorkerReadyInfo } from './worker.ts';

/** The worker settings of the engine's config (uploads decoded with the limits they were accepted under). */
export function workerConfigFrom(
  config: Config,
  uploadLimits: WorkerConfig['uploadLimits'] = {
    maxBytes: config.uploadMaxBytes,
    maxPixels: config.uploadMaxPixels,
  },
): WorkerConfig {
  return {
    dataDir: config.dataDir,
    modelsDir: config.modelsDir,
    defaultModel: config.model,
    device: config.device,
    cudaDeviceId: config.cudaDeviceId,
    cpuFallback: config.cpuFallback,
    intraOpThreads: config.intraOpThreads,
    nice: config.inferenceNice,
    stallMs: config.inferenceStallMs,
    uploadLimits,
    preload: true,
    maxSteps: config.maxSteps,
  };
}

/** Logs the worker's start, restarts and errors, and counts restarts. */
export function watchWorker(
  worker: InferenceWorker,
  log: Logger,
  metrics: EngineMetrics,
  model: string,
): void {
  worker.on('ready', (info: WorkerReadyInfo) => {
    if (info.error) log.error({ model, err: info.error }, 'default model failed to load');
    else {
      // The device choice and its reason (auto's reasoning, or why the device asked for is not used).
      const why = {
        ...(info.adapter ? { adapter: info.adapter } : {}),
        ...(info.deviceReason ? { reason: info.deviceReason } : {}),
      };
      log.info({ model: info.model, device: info.device, ...why }, 'inference worker ready');
    }
  });
  worker.on('restart', () => {
    metrics.workerRestarts.inc();
    log.warn('inference worker restarted');
  });
  worker.on('worker-error', (err: Error) => log.error({ err: err.message }, 'inference worker error'));
}
