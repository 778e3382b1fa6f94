// Shared by the bot's process, the inference process and the CLI.
// The engine's interface, as chat adapters (Discord, Slack, playground) and commands see it.
// It names no queue library: the in-process backend (p-queue + inference process + SQLite) implements
// it today; a distributed backend (BullMQ on Redis, GPU workers elsewhere) can implement it later
// without touching the adapters. Everything that crosses it is plain serializable data, except
// Buffers of preview PNGs.
import type { UnderstoodConcept } from '../runtime/types.ts';
import type { SettingsApi } from '../store/settings-store.ts';
import type { JobSpec, ResolvedJobSpec, Technique } from './spec.ts';

export type { JobSpec, JobSpecInput, ResolvedJobSpec, Technique, ImageRef } from './spec.ts';
export type {
  JobDefaults,
  Settings,
  SettingsApi,
  SettingsPatch,
  SettingsScope,
} from '../store/settings-store.ts';

/** Who submitted a job, and where to answer. */
export interface JobOwner {
  /** 'discord' | 'slack' | 'playground' | 'cli' (free text so new adapters need no change here). */
  platform: string;
  /** The platform's user id. Limits are counted per (platform, userId). */
  userId: string;
  /** Where to answer: a channel id (Discord/Slack), a session id (playground). Opaque to the engine. */
  channelRef?: string;
  /** The message to edit or thread under (interaction token id, Slack ts, ...). Opaque to the engine. */
  messageRef?: string;
  /** The server the request comes from (Discord guild, Slack team, 'playground'): its content rules apply. Not stored. */
  serverId?: string;
  /** Private job: only this owner sees it (its record, files, events, follow-ups; /info also admins); stored with the job. */
  private?: boolean;
}

/** Who asks to see or act on a job: a user of a platform, an admin where admins may see private jobs (/info). */
export interface JobViewer {
  platform: string;
  userId: string;
  /** An admin (ADMIN_USER_IDS or the platform's moderator right) where the read lets admins see private jobs. */
  isAdmin?: boolean;
}

/** Whether `viewer` may see or act on a job of `owner`: any job that is not private; a private one only its owner (same platform and user) or an admin. */
export function canSeeJob(owner: JobOwner, viewer: JobViewer): boolean {
  if (!owner.private) return true;
  if (viewer.isAdmin === true) return true;
  return owner.platform === viewer.platform && owner.userId === viewer.userId;
}

/** Who asks for a cancel. Admins (ADMIN_USER_IDS) may cancel anyone's job. */
export interface Actor {
  userId: string;
  isAdmin: boolean;
  /** Platform of the user; when given, ownership also requires the same platform. */
  platform?: string;
  /** May change the settings and content rules of the server (Discord: Manage Server; elsewhere ADMIN_USER_IDS). */
  serverAdmin?: boolean;
}

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** Why the engine said no. `message` is written for the chat user and can be shown as is. */
export type RefusalCode =
  | 'invalid_spec'
  | 'queue_full'
  | 'user_limit'
  | 'bad_image'
  | 'not_found'
  | 'forbidden'
  | 'not_cancellable'
  | 'no_result'
  | 'shutting_down'
  | 'unavailable'
  /** A prompt matches a content rule (the message names no rule). */
  | 'content_rule';

/** A typed refusal. Plain data (not thrown): adapters reply with `message`. */
export interface EngineRefusal {
  ok: false;
  code: RefusalCode;
  message: string;
}

/** Builds an EngineRefusal. */
export function refusal(code: RefusalCode, message: string): EngineRefusal {
  return { ok: false, code, message };
}

/** The engine accepted a job. `position` 0 = running next/now; `estimatedWaitMs` until it starts. */
export interface SubmitAccepted {
  ok: true;
  jobId: string;
  position: number;
  estimatedWaitMs: number;
  /** The normalized spec (defaults applied, the chosen seed filled in). */
  spec: JobSpec;
}

export type SubmitResult = SubmitAccepted | EngineRefusal;

/** Options of submit. */
export interface SubmitOptions {
  /** Job this one regenerates (🔁); recorded as its parent. */
  parentId?: string;
}

/** One prompt as the model understood it, for captions ("understood: 🚀 rocket; unknown: zorb"). */
export interface PromptReport {
  role: 'prompt' | 'prompt2' | 'negative';
  text: string;
  understood: UnderstoodConcept[];
  unknown: string[];
}

/** Timings of a finished job, in milliseconds. */
export interface JobTimings {
  /** Time from submit to start. */
  queuedMs: number;
  /** Time the job ran (worker side, including prompt encoding and image work). */
  totalMs: number;
  /** Sum of the model's session.run time during the job. */
  modelMs: number;
  /** Average time of one denoising step (0 for jobs without steps). */
  perStepMs: number;
  /** UNet calls of the job (one batched call per step: CFG and views share it). */
  unetCalls?: number;
  /** UNet evaluations (batch rows) of the job: 2 per step with guidance, 1 without. */
  unetEvaluations?: number;
  /** What drew the GIF's frames and the live previews of a latent model (its cheap decoder); absent: the model's own output. */
  frameDecoder?: string;
}

/** Everything a caption needs, plus where the files are. */
export interface JobResult {
  jobId: string;
  /** Name of the model that ran the job. */
  model: string;
  /**
   * The spec that ran: normalized, with the model's defaults resolved (effective steps, guidance,
   * sampler); the technique, prompts and seed are its own. The stored job spec keeps what the user gave.
   */
  spec: ResolvedJobSpec;
  timings: JobTimings;
  /** Each non-empty prompt with what the model understood of it. */
  prompts: PromptReport[];
  /** All understood concepts of all prompts, in prompt order. */
  understood: UnderstoodConcept[];
  /** All unknown words of all prompts, deduplicated, in prompt order. */
  unknown: string[];
  files: ResultFiles;
}

/** Files of a finished job, absolute paths under DATA_DIR/results/<jobId>/. */
export interface ResultFiles {
  /** Final image, upscaled for display (PNG). */
  png: string;
  /** Final image at the model's resolution (PNG). */
  rawPng: string;
  /** Animated GIF of the trajectory, within GIF_MAX_BYTES; null if there are no frames (e.g. noise). */
  gif: string | null;
  /** Width and height of `png`. */
  width: number;
  height: number;
  /** Frames in the GIF (after any thinning to fit the byte limit). */
  gifFrames: number;
  gifBytes: number;
}

/** What resultFiles answers: the files of a finished job, or why there are none. */
export type ResultFilesAnswer = { ok: true; files: ResultFiles } | EngineRefusal;

/** A stored job as get() returns it. */
export interface JobRecord {
  jobId: string;
  spec: JobSpec;
  owner: JobOwner;
  status: JobStatus;
  parentId: string | null;
  /** Epoch milliseconds. */
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** User-facing failure message for status 'failed'. */
  error: string | null;
  result: JobResult | null;
  /** Queue position while queued (0 = next); null otherwise. */
  position: number | null;
}

/** Events of one job, in order: queued (repeated as the queue moves), started, progress*, then one of done/failed/cancelled. */
export type JobEvent =
  | { type: 'queued'; jobId: string; owner: JobOwner; position: number; estimatedWaitMs: number }
  | { type: 'started'; jobId: string; owner: JobOwner; startedAt: number }
  | {
      type: 'progress';
      jobId: string;
      owner: JobOwner;
      /** Steps done so far (1-based) and the total. */
      step: number;
      total: number;
      /** PNG of the current frame (x_t or predicted x0, per FRAME_SOURCE), upscaled; throttled, so absent on most events. */
      preview?: Buffer;
    }
  | { type: 'done'; jobId: string; owner: JobOwner; result: JobResult }
  | {
      type: 'failed';
      jobId: string;
      owner: JobOwner;
      message: string;
      /** true when the job failed because of a restart. */ recovered?: boolean;
    }
  | { type: 'cancelled'; jobId: string; owner: JobOwner; by: string | null };

export type JobEventListener = (event: JobEvent) => void;

/** Options of Engine.subscribe. */
export interface SubscribeOptions {
  /** Replay the recent past events at once (default true); false for a caller that took a snapshot first. */
  replay?: boolean;
}

/** A queued or running job in listQueue(). */
export interface QueueEntry {
  jobId: string;
  owner: JobOwner;
  technique: Technique;
  status: 'queued' | 'running';
  /** 0 = the running job (or the next one when none runs). */
  position: number;
  createdAt: number;
  estimatedWaitMs: number;
}

/** A stored upload. */
export interface StoredUpload {
  ok: true;
  /** sha256 (hex) of the uploaded bytes: use as spec.image / spec.mask. */
  ref: string;
  width: number;
  height: number;
  /** Whether the image has transparency (usable as an inpainting mask source). */
  hasAlpha: boolean;
}

/** Facts of a model as the engine (which loads it) reports them, for /model, /help and option texts. */
export interface ModelInfo {
  name: string;
  family?: string;
  description?: string;
  license?: string;
  attribution?: string;
  /** Edge sizes of the model's images. */
  width: number;
  height: number;
  /** What a job that leaves these out runs with: the manifest's defaults (steps capped at MAX_STEPS) and the sketch noise level they imply. */
  defaults: { steps: number; guidance: number; noiseLevel: number; sampler: string };
  /** Diffusion train steps (t runs from 1 to this minus 1). */
  trainTimesteps: number;
  /** Tokens the prompt encoder knows (bag-of-words models). */
  vocabularySize?: number;
  /** Named concepts ("🚀 rocket") the model was trained on. */
  conceptCount?: number;
  /** A few example concepts. */
  examples?: string[];
  /** Device the model runs on, once loaded. */
  device?: string;
  /** Why the model runs on another device than the one asked for. */
  fallbackReason?: string;
  /** The WebGPU adapter the model runs on (webgpu only). */
  adapter?: string;
  /** Why this device was chosen (auto's reasoning, or why the one asked for is not used). */
  deviceReason?: string;
  /** The model's scheduler and what each sampler can run on it, worked out where the model is loaded. */
  scheduler?: SchedulerFacts;
  /** The UNet takes guidance as an input (LCM's w embedding, `timestep_cond`): guidance runs through it, not through CFG. */
  guidanceEmbedding?: boolean;
  /** The model lays pictures out with a coarse data prior (a job's `prior: false` turns it off): what it does, as its manifest says. */
  prior?: { about: string };
}

/** A model's scheduler as the inference process resolved it (ModelInfo.scheduler). */
export interface SchedulerFacts {
  /** The diffusers class the model ships with ("the project scheduler" when its manifest names none). */
  className: string;
  /** Every key the class honours, as applied ("steps_offset 1"). */
  applied: string[];
  /** Keys of the model's config that its class does not take. */
  ignored: string[];
  /** The step counts the limits below were worked out for: 1..maxSteps (MAX_STEPS). */
  maxSteps: number;
  /** Per sampler name: why it cannot run this model at all, or the step counts (within 1..maxSteps) its own plan refuses and why. */
  samplers: Record<string, SamplerLimits>;
}

/** What one sampler refuses on a model: all of it, or ranges of step counts (inclusive). */
export interface SamplerLimits {
  refused?: string;
  refusedSteps?: { from: number; to: number; why: string }[];
}

/** What a model understands of a text before a job runs (Engine.understand). */
export interface TextUnderstanding {
  model: string;
  /** False when the model reads prompts whole (a CLIP or precomputed text encoder): no concepts, no vocabulary to show. */
  concepts: boolean;
  /** The concepts it would draw, with weights (the head of the prompt first). */
  understood: UnderstoodConcept[];
  /** Known words that name nothing it draws, and why ("modifier", "measure", "no concept"). */
  dropped: { word: string; why: string }[];
  /** Words it does not know. */
  unknown: string[];
  /** A few vocabulary entries holding a word of the text. */
  examples: { emoji: string; label: string }[];
}
export type UnderstandResult = { ok: true; understanding: TextUnderstanding } | EngineRefusal;

/** Answer of Engine.modelInfo. */
export type ModelInfoResult = { ok: true; info: ModelInfo } | EngineRefusal;

/** Health of the engine for /healthz. */
export interface EngineHealth {
  ok: boolean;
  /** Why ok is false, in words (its reasons joined by "; "); absent when ok. */
  reason?: string;
  workerAlive: boolean;
  /** ms the inference process has been silent during a running job, past its stall limit (INFERENCE_STALL_MS); absent when it is not stalled. */
  inferenceStalledMs?: number;
  queued: number;
  running: number;
  model: string;
  device: string;
}

/**
 * The engine as adapters use it. Methods never throw for user errors: they return an
 * EngineRefusal whose message can be shown to the user. They throw only on programming errors.
 */
export interface Engine {
  /** Validates the spec, applies per-user and queue limits, stores and enqueues the job. Resolves quickly (no inference). */
  submit(spec: unknown, owner: JobOwner, options?: SubmitOptions): Promise<SubmitResult>;
  /** The refusal submit would give `owner` now for the queue and per-user limits (or shutting down), else null; check it before downloading uploads. */
  checkAdmission(owner: JobOwner): EngineRefusal | null;
  /** Submits the same spec as `jobId` with a new seed (or `seed`), recorded as its child; limits apply to `owner`. */
  regenerate(jobId: string, owner: JobOwner, seed?: number): Promise<SubmitResult>;
  /** Cancels a job: a queued job is removed; a running job stops within one step. Owner or admin only. */
  cancel(jobId: string, by: Actor): Promise<{ ok: true; status: JobStatus } | EngineRefusal>;
  /** The stored job, or null, whoever asks: callers show a private one only where canSeeJob allows. */
  get(jobId: string): Promise<JobRecord | null>;
  /** Result files of a finished job (to fetch them again by job id). */
  resultFiles(jobId: string): Promise<ResultFilesAnswer>;
  /** Records the chat message that shows a job (after the adapter's first reply), so recovery and 🔁 can find it. */
  setMessageRef(jobId: string, messageRef: string): Promise<void>;
  /** Subscribes to one job's events; past events of a recent job (latest queued, started, latest progress, terminal) are replayed at once unless `replay: false`. Returns the unsubscribe function. */
  subscribe(jobId: string, listener: JobEventListener, options?: SubscribeOptions): () => void;
  /** The events that bring a new viewer of a job up to date, in order: of a finished job only its end (from the store when no longer in memory); else its latest queued, started and progress events by step. Empty for an unknown job. */
  snapshot(jobId: string): JobEvent[];
  /** Subscribes to every job's events (e.g. to report recovered jobs to their channel); returns the unsubscribe function. */
  subscribeAll(listener: JobEventListener): () => void;
  /** Queued and running jobs, running first, then in FIFO order. */
  listQueue(): Promise<QueueEntry[]>;
  /** Decodes and validates an uploaded image (limits on bytes, pixels, format), stores it by sha256 under DATA_DIR; its reference is usable by `owner` only (and by owners of jobs using it). */
  storeUpload(bytes: Uint8Array, owner?: JobOwner): Promise<StoredUpload | EngineRefusal>;
  /** Health for /healthz. */
  health(): EngineHealth;
  /** Facts and effective defaults of a model (default: the configured one), from the inference worker that loads it. */
  modelInfo(model?: string): Promise<ModelInfoResult>;
  /** What a model (default: the configured one) understands of a text, before any job: concepts with weights, dropped and unknown words. */
  understand(text: string, model?: string): Promise<UnderstandResult>;
  /** Stops taking jobs, cancels the running one, stops the worker; queued jobs stay queued in the store for the next start. */
  close(): Promise<void>;
  /** Per-user, per-server and per-channel settings (defaults of new jobs, content rules); absent on a backend without them. */
  readonly settings?: SettingsApi;
}

/** The terminal event types of a job. */
export type TerminalEvent = Extract<JobEvent, { type: 'done' | 'failed' | 'cancelled' }>;

/** Resolves with a job's terminal event (done, failed or cancelled); `onEvent` sees every event before it. */
export function waitForJob(
  engine: Pick<Engine, 'subscribe'>,
  jobId: string,
  onEvent?: JobEventListener,
): Promise<TerminalEvent> {
  return new Promise((resolve) => {
    let off: (() => void) | null = null;
    let settled = false;
    off = engine.subscribe(jobId, (e) => {
      if (settled) return;
      onEvent?.(e);
      if (e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') {
        settled = true;
        off?.();
        resolve(e);
      }
    });
    if (settled) off();
  });
}
