// Shared by the bot's process and the inference process (message types).
// Messages between the engine and the inference worker process, over its IPC channel: plain
// structured-clone data ('advanced' serialization). A cancel is read between denoising steps.
import type { ModelInfo, PromptReport, ResultFiles, TextUnderstanding } from '../jobs/api.ts';
import type { ExecuteTimings } from '../pipeline/execute.ts';
import type { JobSpec, ResolvedJobSpec } from '../jobs/spec.ts';
import type { UnderstoodConcept } from '../runtime/types.ts';

/** Settings of the worker process, fixed for its lifetime (its first message). */
export interface WorkerSettings {
  /** file: URL of the entry (worker-entry.ts, or a test entry), imported by worker-boot.mjs. */
  entry: string;
  dataDir: string;
  modelsDir: string;
  defaultModel: string;
  device: 'cpu' | 'cuda' | 'webgpu' | 'auto';
  cudaDeviceId: number;
  cpuFallback: boolean;
  intraOpThreads: number;
  /** INFERENCE_STALL_MS: a running job whose process has sent nothing for longer (and for 4x its longest silence so far) is reported stalled. */
  stallMs?: number;
  /** INFERENCE_NICE: the process's nice value, set by worker-boot.mjs before anything else starts (default 0). */
  nice?: number;
  /** Limits stored uploads are decoded with: the ones they were accepted under (UPLOAD_MAX_BYTES, UPLOAD_MAX_PIXELS). */
  uploadLimits: { maxBytes?: number; maxPixels?: number };
  /** Data for an entry other than the production one (the test suite's fault-injecting worker). */
  entryData?: unknown;
  /** Load the default model as soon as the process starts. */
  preload: boolean;
  /** MAX_STEPS: a model's default step count is capped at it (reported defaults and runs alike). */
  maxSteps?: number;
}

/** Per-run output settings. */
export interface RunOptions {
  frameEvery: number;
  /** What the GIF's frames show (FRAME_SOURCE) and what live previews show (PREVIEW_SOURCE). */
  frameSource: 'xt' | 'x0';
  previewSource: 'xt' | 'x0';
  /** Least ms between previews sent back. */
  previewEveryMs: number;
  gifMaxBytes: number;
  gifSize: number;
  displaySize: number;
  /** Folder the result files go to (created by the worker). */
  resultDir: string;
}

export type ToWorker =
  | { type: 'run'; runId: number; jobId: string; spec: JobSpec; options: RunOptions }
  | { type: 'cancel'; runId: number }
  /** Asks for the facts of a model (loading it if needed); answered by an 'info' message with the same requestId. */
  | { type: 'info'; requestId: number; model?: string }
  /** Asks for the names of the installed models that load (the models folder, read by the process); answered at once by a 'models' message. */
  | { type: 'models'; requestId: number }
  /** Asks which concepts of a model the prompts name that the rules (words and phrases) also name; answered by a 'concepts' message (concept-answers.ts). */
  | { type: 'concepts'; requestId: number; model?: string; prompts: string[]; rules: string[] }
  /** Asks what a model understands of a text; answered by an 'understand' message (understand-answers.ts). */
  | { type: 'understand'; requestId: number; model?: string; text: string }
  | { type: 'shutdown' };

/** Files and facts of a finished run. */
export interface RunOutput {
  model: string;
  device: string;
  files: ResultFiles;
  timings: ExecuteTimings;
  /** The spec that ran, with the model's defaults resolved. */
  spec: ResolvedJobSpec;
  prompts: PromptReport[];
  understood: UnderstoodConcept[];
  unknown: string[];
}

export type FromWorker =
  | { type: 'ready'; model: string | null; device: string | null; error?: string; info?: ModelInfo }
  /** Answer to an 'info' request: the model's facts, or why they are unavailable. */
  | { type: 'info'; requestId: number; info?: ModelInfo; error?: string; userError?: boolean }
  /** Answer to a 'models' request. */
  | { type: 'models'; requestId: number; names: string[] }
  /** Answer to a 'concepts' request: the banned concepts the prompts name (none when the model has no concept data: `known` false), or why there is no answer. */
  | { type: 'concepts'; requestId: number; banned?: string[]; known?: boolean; error?: string }
  /** Answer to an 'understand' request, or why there is none (`userError`: the model does not exist). */
  | { type: 'understand'; requestId: number; understanding?: TextUnderstanding; error?: string; userError?: boolean }
  /** Sent every HEARTBEAT_MS while the process's event loop runs (not while it is inside a blocking call such as a UNet step). */
  | { type: 'heartbeat' }
  /** The model is loaded and the job begins (the job's time limit counts from here). */
  | { type: 'started'; runId: number }
  | { type: 'progress'; runId: number; step: number; total: number }
  /** A progress preview: a trajectory frame upscaled for display and encoded as PNG, throttled to previewEveryMs. */
  | { type: 'preview'; runId: number; step: number; total: number; png: Uint8Array }
  | { type: 'done'; runId: number; output: RunOutput }
  /** The run failed; `userError`: the message is about the user's input and can be shown as is. */
  | { type: 'failed'; runId: number; message: string; userError: boolean };
