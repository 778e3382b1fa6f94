// Runs in the inference process and the CLI.
// The executor's contract: where it gets its model and images, its hooks, and what it returns.
import type { RgbImage } from '../imaging/index.ts';
import type { LoadedModel, UnderstoodConcept } from '../runtime/types.ts';
import type { PromptReport } from '../jobs/api.ts';
import type { ResolvedJobSpec, SpecLimits } from '../jobs/spec.ts';

/** An input image brought to the model's image resolution. */
export interface InputImage {
  /** Float32 CHW in [-1, 1] at the model's imageShape. */
  image: Float32Array;
  /** H*W at imageShape, 1 = regenerate; from the upload's transparency, when it had any. */
  alphaMask?: Float32Array;
  /** H*W at imageShape, 1 = regenerate: the new border of a zoom-out or pan follow-up. */
  border?: Float32Array;
}

/** Where the executor gets its model and stored images from. */
export interface ExecuteContext {
  model: LoadedModel;
  /** Loads a stored upload (spec.image) at the model's image resolution. */
  loadImage(ref: string): Promise<InputImage>;
  /** Loads a stored mask image (spec.mask) as H*W values at imageShape, 1 = regenerate (white). */
  loadMask(ref: string): Promise<Float32Array>;
  /** The raw result PNG of a finished job (spec.source.parent), as stored; absent where earlier results cannot be read. */
  readResult?(jobId: string): Promise<Uint8Array>;
  /** Limits the model's default step count is capped at (MAX_STEPS); default DEFAULT_SPEC_LIMITS. */
  limits?: Pick<SpecLimits, 'maxSteps'>;
}

/** Progress of one step: 1-based step, total steps. */
export interface StepProgress {
  step: number;
  total: number;
  /** Timestep just denoised. */
  t: number;
}

/** Hooks of one execution. */
export interface ExecuteHooks {
  /** Called after every step (before any frame is captured). May be async; awaited. */
  onProgress?(p: StepProgress): void | Promise<void>;
  /** Called with each captured trajectory frame of the GIF (8-bit RGB at the model's image resolution). */
  onFrame?(frame: RgbImage, p: StepProgress): void | Promise<void>;
  /** Whether a live preview is wanted after this step (asked once per step; default: every step). */
  wantsPreview?(p: StepProgress): boolean;
  /** Called with a live preview (8-bit RGB at the model's image resolution) when one is wanted. */
  onPreview?(frame: RgbImage, p: StepProgress): void | Promise<void>;
  signal?: AbortSignal;
  /** Keep a GIF frame every k steps (the last step always); default 1. */
  frameEvery?: number;
  /** GIF frames show x_t (the study's noisy trajectory) or the predicted x0; default 'xt'. */
  frameSource?: 'xt' | 'x0';
  /** Live previews show the predicted x0 (a picture that sharpens) or x_t; default 'x0'. */
  previewSource?: 'xt' | 'x0';
}

/** Timings of one execution, in milliseconds. */
export interface ExecuteTimings {
  totalMs: number;
  /** Sum of session.run time during the job. */
  modelMs: number;
  /** Mean wall time of one denoising step (0 when the technique has no steps). */
  perStepMs: number;
  steps: number;
  /** UNet calls (session runs of the denoiser, each one batch) during the job. */
  unetCalls: number;
  /** UNet evaluations (batch rows: conditional, unconditional, every view) during the job. */
  unetEvaluations: number;
  /** What drew the GIF's frames and the live previews: a latent model's cheap decoder (LoadedModel.previewDecoder); absent: the model's own output. */
  frameDecoder?: string;
}

/** What one execution produced. */
export interface ExecuteResult {
  /** The main result, float32 CHW in [-1, 1] at the model's image resolution (noise: the noisiest; denoise: the last method's output; several candidates: the first). */
  finalImage: Float32Array;
  /** Every candidate's final image when the job drew more than one (then `image` is their grid). */
  candidates?: Float32Array[];
  /** The picture to show: the final image, or a comparison strip (noise, denoise). */
  image: RgbImage;
  /** The display image's panels with their labels (strips, an anagram's views), drawn side by side by the result writer. */
  panels?: { images: RgbImage[]; labels: string[] };
  /** Trajectory frames for the GIF, in order. */
  frames: RgbImage[];
  timings: ExecuteTimings;
  prompts: PromptReport[];
  understood: UnderstoodConcept[];
  unknown: string[];
  seed: number;
  /** The spec that ran: the model's defaults resolved (effective steps, guidance, noise level). */
  spec: ResolvedJobSpec;
}
