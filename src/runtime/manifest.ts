// Runs in the inference process and the CLI.
// The model manifest (`model.json`): what a model folder holds and how to drive it.
import { z } from 'zod';
import { resolveScheduler, SCHEDULER_CLASSES } from '../diffusion/samplers/config.ts';
import { SAMPLER_NAMES } from '../diffusion/samplers/registry.ts';
import { ModelError } from './errors.ts';
import { readJsonFile } from './json-file.ts';
import { checkManifestPaths, manifestFile } from './model-files.ts';
import { ClipPromptSchema, PrecomputedPromptSchema, VaeSchema } from './latent/schema.ts';
import { PreviewDecoderSchema } from './latent/preview-schema.ts';

const positiveInt = z.number().int().positive();
const FLOW_CLASS = 'FlowMatchEulerDiscreteScheduler';

/** Sample layout (no batch dimension), CHW. */
const SampleSchema = z.object({ channels: positiveInt, height: positiveInt, width: positiveInt });

/**
 * A diffusers `scheduler_config.json` as published, `_class_name` included (every key is honoured or
 * refused by the diffusion core's scheduler classes, checked in parseManifest). A manifest without
 * `_class_name` is the project's own: the study's strided list (timestep_spacing "strided") and x0
 * clipping on pixel models unless it says otherwise.
 */
const SchedulerSchema = z.looseObject({
  _class_name: z.string().min(1).optional(),
  /** Required but for flow matching (FlowMatchEulerDiscreteScheduler has no betas). */
  beta_schedule: z.enum(['squaredcos_cap_v2', 'linear', 'scaled_linear']).optional(),
  num_train_timesteps: positiveInt,
  beta_start: z.number().positive().optional(),
  beta_end: z.number().positive().optional(),
  prediction_type: z.enum(['epsilon', 'v_prediction', 'sample']).optional(),
  variance_type: z.enum(['fixed_small', 'learned_range']).nullable().optional(),
  clip_sample: z.boolean().optional(),
  timestep_spacing: z.enum(['leading', 'trailing', 'linspace', 'strided']).optional(),
  steps_offset: z.number().int().min(0).optional(),
});

/** The denoising UNet: file, tensor names, dtypes and the largest batch it should be given. */
const UnetSchema = z.object({
  file: z.string().min(1),
  inputs: z.object({ sample: z.string().min(1), timestep: z.string().min(1), cond: z.string().min(1) }),
  outputs: z.object({ eps: z.string().min(1) }),
  dtype: z.enum(['float32', 'float16']).default('float32'),
  timestep_dtype: z.enum(['float32', 'float16', 'int64', 'int32']).default('float32'),
  max_batch: positiveInt.default(8),
});

/** Bag-of-words prompt encoder (the bundled emoji model's): mean of known tokens' embeddings. */
const BagOfWordsSchema = z.object({
  encoder: z.literal('bag-of-words'),
  vocab: z.string().min(1),
  embeddings: z.string().min(1),
  embeddings_dtype: z.enum(['float32', 'float16']).default('float32'),
  dim: positiveInt,
  concepts: z.string().min(1).optional(),
});

/** How prompts are encoded: bag of words (bundled model), CLIP (latent family), precomputed embeddings (IF-style). */
const PromptSchema = z.discriminatedUnion('encoder', [
  BagOfWordsSchema,
  ClipPromptSchema,
  PrecomputedPromptSchema,
]);

/** Pixel family: the coarse data prior of text-to-image (see src/diffusion/coarse-prior.ts). */
const CoarsePriorSchema = z
  .object({
    /** PNG atlas of tiles, RGB, `index.perRow` tiles per row in index order. */
    tiles: z.string().min(1),
    /** JSON { size, count, perRow, emoji[] }: tile side, number of tiles, tiles per row, each tile's emoji. */
    index: z.string().min(1),
    from_t: z.number().int().nonnegative(),
    to_t: z.number().int().nonnegative(),
    /** What the prior does and how much it sets, in a sentence for users (/model). */
    about: z.string().max(400).optional(),
  })
  .refine((p) => p.from_t > p.to_t, { message: 'from_t must be above to_t' });

/** Model families: `pixel` (the bundled kind), `latent` (Stable-Diffusion-style ONNX with a VAE), `if` (pixel UNet with T5-sized embeddings). */
export const MODEL_FAMILIES = ['pixel', 'latent', 'if'] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];

export const ManifestSchema = z.looseObject({
  name: z.string().min(1),
  family: z.enum(MODEL_FAMILIES),
  description: z.string().default(''),
  license: z.string().min(1),
  attribution: z.string().optional(),
  sample: SampleSchema,
  scheduler: SchedulerSchema,
  unet: UnetSchema,
  prompt: PromptSchema,
  /** Pixel family: coarse data prior for text-to-image (optional). */
  prior: CoarsePriorSchema.optional(),
  /** Latent family: the VAE that maps images to samples and back. */
  vae: VaeSchema.optional(),
  /** Latent family: a tiny autoencoder decoder for live previews and GIF frames (absent: a linear latent-to-RGB projection). */
  preview_decoder: PreviewDecoderSchema.optional(),
  /** Latent family: the image layout (sample is the latent layout). */
  image: SampleSchema.optional(),
  defaults: z
    .object({
      steps: positiveInt.default(33),
      guidance: z.number().nonnegative().default(7),
      /** The model's sampler (a SAMPLER_NAMES entry; `models pull` names the one of the scheduler class); absent = ddpm. */
      sampler: z.enum(SAMPLER_NAMES).optional(),
    })
    .default({
      steps: 33,
      guidance: 7,
    }),
});

export type ModelManifest = z.infer<typeof ManifestSchema>;
export type SchedulerManifest = ModelManifest['scheduler'];
export type UnetManifest = ModelManifest['unet'];
export type PromptManifest = ModelManifest['prompt'];
export type BagOfWordsManifest = z.infer<typeof BagOfWordsSchema>;
export type CoarsePriorManifest = z.infer<typeof CoarsePriorSchema>;
export type { ClipPromptManifest, PrecomputedPromptManifest, VaeManifest } from './latent/schema.ts';

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
    return `\`${where}\`: missing (expected ${issue.expected})`;
  }
  return `\`${where}\`: ${issue.message}`;
}

/** Sections a family needs beyond the common schema: latent models need `vae` and `image`; bag-of-words is for pixel models. */
function familyProblems(m: ModelManifest): string[] {
  const out: string[] = [];
  if (m.scheduler.beta_schedule === undefined && m.scheduler._class_name !== FLOW_CLASS)
    out.push('`scheduler.beta_schedule`: missing (expected one of "squaredcos_cap_v2", "linear", "scaled_linear")');
  if (m.family === 'latent') {
    if (!m.vae) out.push('`vae`: missing (a latent model needs its VAE decoder)');
    if (!m.image) out.push('`image`: missing (a latent model needs the image layout its VAE decodes to)');
  }
  return out;
}

/**
 * Fill what the manifest leaves out: beta_start, beta_end and prediction_type get the defaults of the
 * named class (diffusers'); a project manifest (no `_class_name`) gets DDPMScheduler's and samples the
 * study's way: strided list, x0 clipped on pixel models. A flow-matching class has none of these keys
 * (its model predicts the velocity).
 */
function withDefaults(m: ModelManifest): void {
  const s = m.scheduler;
  if (s._class_name === FLOW_CLASS) return;
  if (s._class_name === undefined) {
    s.timestep_spacing ??= 'strided';
    s.clip_sample ??= m.family !== 'latent';
  }
  const keys = SCHEDULER_CLASSES[s._class_name ?? 'DDPMScheduler'];
  if (!keys) return; // refused by schedulerProblems
  s.beta_start ??= Number(keys.beta_start.def);
  s.beta_end ??= Number(keys.beta_end.def);
  s.prediction_type ??= 'epsilon';
}

/** The scheduler config checked against its class (every key honoured or refused by name). */
function schedulerProblems(m: ModelManifest): string[] {
  const s = m.scheduler;
  try {
    resolveScheduler(s, s._class_name ?? 'DDPMScheduler');
    return [];
  } catch (e) {
    return [`\`scheduler\`: ${(e as Error).message}`];
  }
}

/** Validate parsed JSON against the manifest schema; throws a ModelError listing every problem with its field path. */
export function parseManifest(json: unknown, source = 'model.json'): ModelManifest {
  const result = ManifestSchema.safeParse(json);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - ${describeIssue(i)}`);
    throw new ModelError('bad-manifest', `Invalid model manifest ${source}:\n${lines.join('\n')}`);
  }
  withDefaults(result.data);
  const problems = [...familyProblems(result.data), ...schedulerProblems(result.data)];
  if (problems.length > 0) {
    throw new ModelError(
      'bad-manifest',
      `Invalid model manifest ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
  return result.data;
}

/** Read and validate `<dir>/model.json`; every file it names must be inside `dir` (symbolic links resolved). */
export function readManifest(dir: string): ModelManifest {
  const file = manifestFile(dir);
  const manifest = parseManifest(readJsonFile(file, 'model manifest'), file);
  checkManifestPaths(dir, manifest, file);
  return manifest;
}
