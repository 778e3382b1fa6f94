// Runs in the inference process and the CLI.
// What every technique of the executor works with for one candidate: the resolved spec, the model's
// shapes and schedule, the seeded generator, the sampler (which owns its timestep selection), prompt
// encoding with the prompts it reports, classifier-free guidance, the input image, the recipe options
// shared by all techniques (RecipeBase) and the progress and frame hooks. A technique (techniques.ts)
// reads it and answers with its final sample.
import {
  createRng,
  createSampler,
  makeSchedule,
  type Guidance,
  type RecipeBase,
  type Rng,
  type Sampler,
  type Schedule,
  type SchedulerConfig,
  type StepInfo,
} from '../diffusion/index.ts';
import { tensorToRgb, type RgbImage } from '../imaging/index.ts';
import type { EncodedPrompt } from '../runtime/types.ts';
import type { PromptReport } from '../jobs/api.ts';
import { usesGuidance, type ResolvedJobSpec } from '../jobs/spec.ts';
import { techniqueRefusal } from '../jobs/technique-limits.ts';
import { ExecuteError } from './execute-error.ts';
import { parentInput } from './parent-input.ts';
import type { ExecuteContext, ExecuteHooks, InputImage, StepProgress } from './execute-types.ts';

/** What a technique answers: its final sample, and what the executor does with it. */
export interface TechniqueResult {
  finalSample: Float32Array;
  /** Steps of the sampling loop it ran (0 for the forward process). */
  loopSteps: number;
  /** A picture of its own (the strips of noise and denoise) instead of the decoded final sample. */
  picture?: RgbImage;
  /** What the display image shows instead: these panels side by side, each labelled (strips, an anagram's views). */
  panels?: Panels;
  /** Pixels to restore after decoding (latent inpainting: the VAE cannot reproduce them exactly). */
  restoreKnown?: { image: Float32Array; mask: Float32Array };
}

/** Labelled panels of a result's display image. */
export interface Panels {
  images: RgbImage[];
  labels: string[];
}

/** One candidate's run (see the file header). */
export interface TechniqueRun {
  spec: ResolvedJobSpec;
  ctx: ExecuteContext;
  hooks: ExecuteHooks;
  model: ExecuteContext['model'];
  /** The sample's shape (latent or pixel) and the image's. */
  shape: ExecuteContext['model']['sampleShape'];
  img: ExecuteContext['model']['imageShape'];
  latent: boolean;
  schedule: Schedule;
  rng: Rng;
  sampler: Sampler;
  /** The picture's size: the model's, or twice it for an upscaling sketch. */
  out: { width: number; height: number };
  /** Trajectory frames collected so far. */
  frames: RgbImage[];
  prompts: PromptReport[];
  /** Progress of techniques that run several loops (denoise 'all'): steps before this loop, and the total. */
  progress: { offset: number; total: number };
  encode(role: PromptReport['role'], text: string): Promise<EncodedPrompt>;
  /** CFG with the negative prompt (or the empty one) as uncond; plain conditional when guidance is 1 or less, nothing conditions, or the model takes guidance as an input (LCM). */
  guidanceFor(condTexts: string[]): Promise<Guidance>;
  /** The spec's input image: an upload, or the parent's candidate of a follow-up. */
  input(): Promise<InputImage>;
  /** The recipe options every technique shares. */
  base(): RecipeBase;
  toRgb(sample: Float32Array): Promise<RgbImage>;
  /** Live previews and GIF frames: the model's cheap decoder (previewSample) where it has one, else toRgb. */
  previewRgb(sample: Float32Array): Promise<RgbImage>;
}

/** The sampler of a name for a model's scheduler config, checked to plan `steps`; a refused key or step count is a job failure naming it. */
function samplerFor(
  name: string,
  config: Record<string, unknown>,
  steps: number,
  schedule: Schedule,
): Sampler {
  try {
    const sampler = createSampler(name, config);
    sampler.plan(steps, schedule);
    return sampler;
  } catch (e) {
    if (e instanceof RangeError)
      throw new ExecuteError(`Sampler ${name} cannot run this model's scheduler: ${e.message}`);
    throw e;
  }
}

/**
 * The loop's step hook: per-step times, progress (offset for techniques with several loops), a GIF
 * frame every FRAME_EVERY steps, and a live preview when one is wanted (the GIF's frame is reused
 * when both show the same source); both come from the model's cheap preview decoder, the final
 * image alone from the full VAE.
 */
function stepHandler(
  run: () => TechniqueRun,
  hooks: ExecuteHooks,
  stepTimes: number[],
): (info: StepInfo) => Promise<void> {
  const frameEvery = Math.max(1, Math.floor(hooks.frameEvery ?? 1));
  const frameSource = hooks.frameSource ?? 'xt';
  const previewSource = hooks.previewSource ?? 'x0';
  let lastStepAt = performance.now();
  return async (info) => {
    const r = run();
    const now = performance.now();
    stepTimes.push(now - lastStepAt);
    lastStepAt = now;
    const p: StepProgress = {
      step: r.progress.offset + info.index + 1,
      total: r.progress.total || info.total,
      t: info.t,
    };
    await hooks.onProgress?.(p);
    const pick = (source: 'xt' | 'x0') => (source === 'x0' ? info.x0 : info.x);
    let frame: RgbImage | undefined;
    if ((info.index + 1) % frameEvery === 0 || info.index === info.total - 1) {
      frame = await r.previewRgb(pick(frameSource));
      r.frames.push(frame);
      await hooks.onFrame?.(frame, p);
    }
    if (hooks.onPreview && (hooks.wantsPreview?.(p) ?? true)) {
      const preview = frame && previewSource === frameSource ? frame : await r.previewRgb(pick(previewSource));
      await hooks.onPreview(preview, p);
    }
  };
}

/** Sets up one candidate's run; `denoiser` is the model's, counted by the executor. */
export function createRun(
  spec: ResolvedJobSpec,
  ctx: ExecuteContext,
  hooks: ExecuteHooks,
  denoiser: RecipeBase['denoiser'],
  stepTimes: number[],
): TechniqueRun {
  const { model } = ctx;
  const shape = model.sampleShape;
  const img = model.imageShape;
  const schedule = makeSchedule(model.manifest.scheduler as SchedulerConfig);
  const samplerName = spec.sampler ?? model.manifest.defaults.sampler ?? 'ddpm';
  // Also refused at submit, from the same rule (src/jobs/technique-limits.ts); a CLI run meets it here.
  const cannot = techniqueRefusal(spec.technique, model.manifest.scheduler._class_name);
  if (cannot) throw new ExecuteError(cannot);
  const onStep = stepHandler(() => run, hooks, stepTimes);
  const run: TechniqueRun = {
    spec,
    ctx,
    hooks,
    model,
    shape,
    img,
    latent: img.channels !== shape.channels || img.height !== shape.height || img.width !== shape.width,
    schedule,
    rng: createRng(spec.seed),
    // The sampler owns its timestep selection (set_timesteps) for the model's scheduler config.
    // Techniques without a sampler option (noise) get the model's own.
    sampler: samplerFor(samplerName, model.manifest.scheduler, spec.steps, schedule),
    out: { width: img.width, height: img.height },
    frames: [],
    prompts: [],
    progress: { offset: 0, total: 0 },
    async encode(role, text) {
      hooks.signal?.throwIfAborted();
      const e = await model.encodePrompt(text);
      if (text) run.prompts.push({ role, text, understood: e.understood, unknown: e.unknown });
      return e;
    },
    async guidanceFor(condTexts) {
      const negative = spec.negative ?? '';
      if (model.guidanceEmbedding) return {}; // the UNet's guidance embedding carries the scale (execute.ts)
      if (!usesGuidance(spec.guidance) || (condTexts.every((c) => c === '') && negative === '')) return {};
      const u = await run.encode('negative', negative);
      return { uncond: u.cond, guidanceScale: spec.guidance };
    },
    async input() {
      hooks.signal?.throwIfAborted();
      if (spec.source) return parentInput(spec.source, ctx, img);
      if (!spec.image) throw new ExecuteError(`${spec.technique} needs an image.`);
      return ctx.loadImage(spec.image);
    },
    async toRgb(sampleX) {
      return tensorToRgb(await model.fromSample(sampleX), run.out.width, run.out.height);
    },
    async previewRgb(sampleX) {
      if (!model.previewSample) return run.toRgb(sampleX);
      return tensorToRgb(await model.previewSample(sampleX), run.out.width, run.out.height);
    },
    base: () => ({
      shape,
      schedule,
      denoiser,
      rng: run.rng,
      sampler: run.sampler,
      steps: spec.steps,
      prediction: model.manifest.scheduler.prediction_type,
      onStep,
      signal: hooks.signal,
    }),
  };
  return run;
}
