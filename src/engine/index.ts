// Runs in the bot's process (and a scale-out front-end).
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

// The parts an Engine implementation is built from, for the scale-out engine (src/cluster/): it
// keeps live jobs, events, job ends, reads and admission as the embedded engine does.
export { CONTENT_REFUSAL, ContentRules, loadGlobalRules, promptsOf } from './content-rules.ts';
export { EtaEstimator } from './eta.ts';
export { EventHub } from './events.ts';
export { JobEnds } from './job-ends.ts';
export { JobReads } from './job-reads.ts';
export { cancelTarget, rerollOf } from './job-requests.ts';
export { resultOf, runOptions } from './job-runner.ts';
export { cleanOwner, LiveJobs, type LiveJob } from './live-jobs.ts';
export { pruneOld, removeOldSideFile } from './recovery.ts';
export { checkSpec } from './spec-checks.ts';
export { storeUpload } from './uploads.ts';
