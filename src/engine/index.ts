// Public API of the engine: the Engine interface adapters use, the job spec, the in-process
// implementation, the technique executor (shared with the CLI) and the health/metrics server.
export * from '../jobs/api.ts';
export {
  TECHNIQUES,
  DENOISE_METHODS,
  SPEC_DEFAULTS,
  DEFAULT_SPEC_LIMITS,
  jobSpecInputSchema,
  parseJobSpec,
  regenerate,
  randomSeed,
  type DenoiseMethod,
  type SpecLimits,
  type SpecParseResult,
} from '../jobs/spec.ts';
export { describeSpec } from '../jobs/spec-describe.ts';
export { createEngine, LocalEngine, newJobId, type EngineOptions } from './engine.ts';
export type { WorkerFactory } from '../inference/worker.ts';
export {
  executeJob,
  ExecuteError,
  type ExecuteContext,
  type ExecuteHooks,
  type ExecuteResult,
  type ExecuteTimings,
  type InputImage,
  type StepProgress,
} from '../pipeline/execute.ts';
export { startHealthServer, type HealthServer } from './http-health.ts';
export { createLogger, REDACT_PATHS, type Logger } from '../jobs/logger.ts';
export { JobStore } from '../store/store.ts';
export { StoreOpenError } from '../store/store-check.ts';
