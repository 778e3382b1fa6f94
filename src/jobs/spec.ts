// Shared by the bot's process, the inference process and the CLI.
// The job spec: plain, serializable data that says what one job does. Adapters build it from a
// chat command; the engine validates it (with messages a chat user understands), stores it, and
// hands it to the inference worker. Regenerate = the same spec with a new seed.
import { z } from 'zod';
import { randomSeed } from '../diffusion/rng.ts';
import { DEFAULT_SAMPLER, SAMPLER_NAMES } from '../diffusion/samplers/registry.ts';
import { VIEW_NAMES } from '../diffusion/views/registry.ts';
import { moveOf, SOURCE_ACTIONS, type FollowUpSource } from './follow-up-source.ts';
import { promptTransform } from './prompt-text.ts';

export type { FollowUpSource } from './follow-up-source.ts';

/** The techniques of the study, one per chat command. */
export const TECHNIQUES = ['imagine', 'sketch', 'inpaint', 'anagram', 'hybrid', 'noise', 'denoise'] as const;
export type Technique = (typeof TECHNIQUES)[number];

/** Denoising methods of the study: Gaussian blur, one-step x0 estimate, iterative DDPM; 'all' = a comparison strip. */
export const DENOISE_METHODS = ['blur', 'one-step', 'iterative', 'all'] as const;
export type DenoiseMethod = (typeof DENOISE_METHODS)[number];

/** Reference to a stored upload: the sha256 of its original bytes, lowercase hex. */
export type ImageRef = string;

/**
 * A validated job spec as the user gave it (the chosen seed and model-independent defaults filled
 * in). Model facts are not: steps, guidance and the sketch noise level stay absent unless the user
 * gave them, and the engine resolves them from the model that runs the job (resolveJobSpec).
 * Only the fields that apply to its technique are present.
 */
export interface JobSpec {
  technique: Technique;
  /** Main prompt (anagram: upright; hybrid: the far / low-frequency prompt). */
  prompt: string;
  /** Second prompt: anagram's transformed prompt, hybrid's near / high-frequency prompt. */
  prompt2?: string;
  /** Negative prompt: replaces the empty prompt as CFG's unconditional branch. */
  negative?: string;
  /** Seed of the documented Gaussian generator, uint32. */
  seed: number;
  /** Number of strided denoising steps (33 = the study's 990, 960, ..., 0); absent = the model's default. Unused by noise. */
  steps?: number;
  /** Classifier-free guidance scale s in eps_u + s (eps_c - eps_u); 1 or less = no guidance (one UNet evaluation per step); absent = the model's default. Unused by noise. */
  guidance?: number;
  /** Sampler (a SAMPLER_NAMES entry: ddpm, ddim, dpmpp-2m, euler-a, ...); absent = the model's default, else ddpm. Unused by noise. */
  sampler?: string;
  /** SDEdit start index i_start into the strided timesteps (study: 1, 3, 5, 7, 10, 20); absent = defaultNoiseLevel(steps). */
  noiseLevel?: number;
  /** Anagram view name (a registry name such as 'flip'). */
  view?: string;
  /** Hybrid low-pass filter, sized for 64 px (scaled with the model's resolution). */
  hybrid?: { sigma: number; kernel: number };
  /** Timesteps: the noise technique's list, or denoise's single entry. */
  t?: number[];
  /** Denoise method. */
  method?: DenoiseMethod;
  /** Input image reference (sketch, inpaint, noise, denoise). */
  image?: ImageRef;
  /** Inpainting mask reference; white = regenerate. Without one, the image's transparent pixels are regenerated. */
  mask?: ImageRef;
  /** A follow-up's input instead of an image: a candidate of an earlier job (sketch: U, V; inpaint: zoom out, pan, which bring their own mask; sketch or inpaint: input, the candidate as the image, with the job's own mask). */
  source?: FollowUpSource;
  /** Model name; absent = the configured default model. */
  model?: string;
  /** Sketch: upscale the image 2x first and run the pass over windows of the model's size (small pixel models; see execute). */
  upscale?: boolean;
  /** Candidates drawn in one batched run (1-4), seeds seed, seed+1, ...; absent = SPEC_DEFAULTS.count. */
  count?: number;
  /** false: no coarse data prior for this job (models that have one use it by default). */
  prior?: boolean;
  /** The job this one follows up and how (e.g. "U2", "V3 subtle", "zoom out 2x", "pan left", "reroll"). */
  from?: { jobId: string; action: string };
}

/** The spec that ran: a JobSpec with the model's defaults resolved (steps, guidance, and the sketch noise level). */
export type ResolvedJobSpec = JobSpec & { steps: number; guidance: number };

/** The defaults a model's manifest gives (model.json `defaults`). */
export interface ModelDefaults {
  steps: number;
  guidance: number;
  /** The model's sampler (few-step models name theirs); absent = ddpm. */
  sampler?: string;
}

/** Limits from config that a spec is checked against. */
export interface SpecLimits {
  /** Most denoising steps a job may ask for. */
  maxSteps: number;
  /** Longest prompt, in characters. */
  maxPromptChars: number;
  /** Most timesteps in a noise job's list. */
  maxTimesteps: number;
  /** Highest timestep (train steps - 1). */
  maxTimestep: number;
  /** Highest guidance scale. */
  maxGuidance: number;
  /** View names an anagram may use (the diffusion view registry). */
  views: readonly string[];
}

/** Defaults of SpecLimits (config overrides maxSteps). */
export const DEFAULT_SPEC_LIMITS: SpecLimits = {
  maxSteps: 100,
  maxPromptChars: 500,
  maxTimesteps: 8,
  maxTimestep: 999,
  maxGuidance: 30,
  views: VIEW_NAMES,
};

/**
 * Defaults of the optional fields that do not depend on the model. Steps and guidance come from
 * the model's manifest (resolveJobSpec); noiseLevel is the study's start index at 33 steps, scaled
 * to other step counts by defaultNoiseLevel.
 */
export const SPEC_DEFAULTS = {
  noiseLevel: 10,
  view: 'flip',
  hybrid: { sigma: 2, kernel: 33 },
  noiseT: [250, 500, 750],
  denoiseT: 500,
  method: 'all' as DenoiseMethod,
  /** Candidates of a job that leaves count out (per-user settings override it before submit). */
  count: 1,
} as const;

/** Most candidates one job may draw. */
export const MAX_COUNT = 4;

/** Which optional fields apply to each technique, and which are required. */
const FIELDS: Record<Technique, { uses: readonly (keyof JobSpec)[]; requires: readonly (keyof JobSpec)[] }> =
  {
    imagine: { uses: ['negative', 'steps', 'sampler', 'guidance', 'count', 'prior'], requires: ['prompt'] },
    sketch: {
      uses: ['negative', 'steps', 'sampler', 'guidance', 'noiseLevel', 'image', 'source', 'count', 'upscale', 'prior'],
      requires: ['image'],
    },
    inpaint: {
      uses: ['negative', 'steps', 'sampler', 'guidance', 'image', 'mask', 'source', 'prior'],
      requires: ['prompt', 'image'],
    },
    anagram: {
      uses: ['prompt2', 'negative', 'steps', 'sampler', 'guidance', 'view', 'count', 'prior'],
      requires: ['prompt', 'prompt2'],
    },
    hybrid: {
      uses: ['prompt2', 'negative', 'steps', 'sampler', 'guidance', 'hybrid', 'count', 'prior'],
      requires: ['prompt', 'prompt2'],
    },
    noise: { uses: ['image', 't'], requires: ['image'] },
    denoise: {
      uses: ['negative', 'steps', 'sampler', 'guidance', 'image', 't', 'method'],
      requires: ['image'],
    },
  };

const WHAT: Record<string, string> = {
  prompt: 'a prompt',
  prompt2: 'a second prompt',
  image: 'an image (attach one)',
};

const REF = /^[0-9a-f]{64}$/;

/** A prompt: controls and escape sequences removed, at most maxPromptChars characters as a reader counts them (prompt-text.ts). */
function prompt(limits: SpecLimits, name: string) {
  return z.string({ error: `${name} must be text` }).transform(promptTransform(name, limits.maxPromptChars));
}

function int(name: string, min: number, max: number) {
  return z
    .number({ error: `${name} must be a number` })
    .int({ error: `${name} must be a whole number` })
    .min(min, { error: `${name} must be at least ${min}` })
    .max(max, { error: `${name} must be at most ${max}` });
}

/** The zod schema of a spec's input under the given limits (fields optional; defaults applied by parseJobSpec). */
export function jobSpecInputSchema(limits: SpecLimits = DEFAULT_SPEC_LIMITS) {
  const ref = (name: string) =>
    z
      .string({ error: `${name} must be a stored upload` })
      .regex(REF, { error: `${name} is not a stored upload (attach the image again)` });
  return z
    .object({
      technique: z.enum(TECHNIQUES, { error: `technique must be one of ${TECHNIQUES.join(', ')}` }),
      prompt: prompt(limits, 'prompt').optional(),
      prompt2: prompt(limits, 'second prompt').optional(),
      negative: prompt(limits, 'negative prompt').optional(),
      seed: int('seed', 0, 0xffffffff).optional(),
      steps: int('steps', 1, limits.maxSteps).optional(),
      sampler: z
        .string({ error: 'sampler must be a name' })
        .refine((v) => (SAMPLER_NAMES as readonly string[]).includes(v), {
          error: `sampler must be one of ${SAMPLER_NAMES.join(', ')}`,
        })
        .optional(),
      guidance: z
        .number({ error: 'guidance must be a number' })
        .min(0, { error: 'guidance must be at least 0' })
        .max(limits.maxGuidance, { error: `guidance must be at most ${limits.maxGuidance}` })
        .optional(),
      noiseLevel: int('noise level', 0, limits.maxSteps - 1).optional(),
      view: z
        .string({ error: 'view must be a name' })
        .refine((v) => limits.views.includes(v), {
          error: `unknown view; use one of ${limits.views.join(', ')}`,
        })
        .optional(),
      hybrid: z
        .object({
          sigma: z
            .number({ error: 'sigma must be a number' })
            .gt(0, { error: 'sigma must be above 0' })
            .max(32, { error: 'sigma must be at most 32' })
            .optional(),
          kernel: int('kernel', 1, 255)
            .refine((k) => k % 2 === 1, { error: 'kernel must be an odd number' })
            .optional(),
        })
        .optional(),
      t: z
        .array(int('t', 1, limits.maxTimestep), { error: 't must be a list of timesteps' })
        .min(1, { error: 'give at least one timestep' })
        .max(limits.maxTimesteps, { error: `give at most ${limits.maxTimesteps} timesteps` })
        .optional(),
      method: z
        .enum(DENOISE_METHODS, { error: `method must be one of ${DENOISE_METHODS.join(', ')}` })
        .optional(),
      image: ref('image').optional(),
      mask: ref('mask').optional(),
      source: z
        .object({
          parent: z.string().regex(/^[a-z0-9]{1,64}$/, { error: 'source.parent must be a job id' }),
          candidate: int('candidate', 1, MAX_COUNT),
          count: int('candidate count', 1, MAX_COUNT),
          action: z.enum(SOURCE_ACTIONS, { error: `source.action must be one of ${SOURCE_ACTIONS.join(', ')}` }),
        })
        .refine((s) => s.candidate <= s.count, { error: 'candidate must be at most the candidate count' })
        .optional(),
      model: z
        .string({ error: 'model must be a name' })
        .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'model must be a model name (letters, digits, . _ -)' })
        .optional(),
      count: int('count', 1, MAX_COUNT).optional(),
      upscale: z.boolean({ error: 'upscale must be true or false' }).optional(),
      prior: z.boolean({ error: 'prior must be true or false' }).optional(),
      from: z
        .object({
          jobId: z.string().regex(/^[a-z0-9]{1,64}$/, { error: 'from.jobId must be a job id' }),
          action: z.string().min(1).max(40, { error: 'from.action is too long' }),
        })
        .optional(),
    })
    .strip();
}

const schemas = new WeakMap<SpecLimits, ReturnType<typeof jobSpecInputSchema>>();

/** The schema of a limits object, built once per object (building a zod schema costs about a millisecond). */
function cachedSchema(limits: SpecLimits): ReturnType<typeof jobSpecInputSchema> {
  let s = schemas.get(limits);
  if (!s) schemas.set(limits, (s = jobSpecInputSchema(limits)));
  return s;
}

/** Input of parseJobSpec: every field but technique optional; numbers may arrive as numbers only. */
export type JobSpecInput = z.input<ReturnType<typeof jobSpecInputSchema>>;

/** Result of parseJobSpec: a normalized spec, or one user-facing message (plus each problem). */
export type SpecParseResult =
  { ok: true; spec: JobSpec } | { ok: false; message: string; problems: string[] };

export { randomSeed };

/** Validates and normalizes a spec: applies defaults, drops fields that do not apply, checks required fields. */
export function parseJobSpec(input: unknown, limits: SpecLimits = DEFAULT_SPEC_LIMITS): SpecParseResult {
  const parsed = cachedSchema(limits).safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => i.message);
    return { ok: false, message: capitalize(problems[0] ?? 'invalid request') + '.', problems };
  }
  const v = parsed.data;
  const fields = FIELDS[v.technique];
  const problems: string[] = [];
  const present = (k: keyof JobSpec) => {
    const x = (v as Record<string, unknown>)[k];
    return x !== undefined && x !== '';
  };
  const uses = (k: keyof JobSpec) => fields.uses.includes(k);
  // A follow-up's source stands in for the image.
  const given = (k: keyof JobSpec) => present(k) || (k === 'image' && uses('source') && present('source'));
  for (const k of fields.requires) if (!given(k)) problems.push(`${v.technique} needs ${WHAT[k] ?? k}`);

  const spec: JobSpec = {
    technique: v.technique,
    prompt: v.prompt ?? '',
    seed: v.seed ?? randomSeed(),
  };
  if (uses('steps') && v.steps !== undefined) spec.steps = v.steps;
  if (uses('guidance') && v.guidance !== undefined) spec.guidance = v.guidance;
  if (uses('sampler') && v.sampler !== undefined) spec.sampler = v.sampler;
  if (uses('prompt2') && v.prompt2) spec.prompt2 = v.prompt2;
  if (uses('negative') && v.negative) spec.negative = v.negative;
  if (uses('noiseLevel') && v.noiseLevel !== undefined) {
    spec.noiseLevel = v.noiseLevel;
    if (spec.steps !== undefined && spec.noiseLevel > spec.steps - 1)
      problems.push(`noise level must be below the step count (${spec.steps})`);
  }
  if (uses('view')) spec.view = v.view ?? SPEC_DEFAULTS.view;
  if (uses('hybrid')) {
    spec.hybrid = {
      sigma: v.hybrid?.sigma ?? SPEC_DEFAULTS.hybrid.sigma,
      kernel: v.hybrid?.kernel ?? SPEC_DEFAULTS.hybrid.kernel,
    };
  }
  if (uses('t')) {
    if (v.technique === 'denoise') {
      if (v.t && v.t.length > 1) problems.push('denoise takes one timestep t');
      spec.t = [v.t?.[0] ?? SPEC_DEFAULTS.denoiseT];
    } else {
      spec.t = [...new Set(v.t ?? SPEC_DEFAULTS.noiseT)].sort((a, b) => a - b);
    }
  }
  if (uses('method')) spec.method = v.method ?? SPEC_DEFAULTS.method;
  if (uses('image') && v.image) spec.image = v.image;
  if (uses('mask') && v.mask) spec.mask = v.mask;
  if (uses('source') && v.source) {
    spec.source = { ...v.source };
    const moves = moveOf(v.source.action) !== null;
    // A result used as input keeps the user's own mask (an upload); the other follow-ups bring theirs.
    if (spec.image || (spec.mask && v.source.action !== 'input')) problems.push('give an image or a follow-up source, not both');
    else if (v.source.action === 'input') {
      if (v.technique === 'inpaint' && !spec.mask)
        problems.push("inpainting a job's picture needs a mask (white = repaint): attach one");
    } else if (moves !== (v.technique === 'inpaint'))
      problems.push(moves ? 'zoom out and pan follow-ups are inpaint jobs' : `a ${v.source.action} follow-up is a sketch job`);
  }
  if (v.model) spec.model = v.model;
  if (uses('count') && v.count !== undefined) spec.count = v.count;
  if (uses('upscale') && v.upscale) spec.upscale = true;
  if (uses('prior') && v.prior === false) spec.prior = false;
  if (v.from) spec.from = { jobId: v.from.jobId, action: v.from.action };

  if (problems.length > 0) return { ok: false, message: capitalize(problems[0]) + '.', problems };
  return { ok: true, spec };
}

/** Result of resolveJobSpec: the spec that will run, or one user-facing message. */
export type SpecResolveResult = { ok: true; spec: ResolvedJobSpec } | { ok: false; message: string };

/** The sketch start index when none is given: the study's 10 of 33 steps (t = 690), kept at the same share of other step counts. */
export function defaultNoiseLevel(steps: number): number {
  return Math.max(0, Math.min(steps - 1, Math.round((SPEC_DEFAULTS.noiseLevel * steps) / 33)));
}

/**
 * Fills a spec's model-dependent fields from the model that runs it: steps (capped at maxSteps),
 * guidance and the sampler from the manifest's defaults, the sketch noise level from the step count. The one
 * place model defaults are applied; the engine's worker and the CLI both call it. Idempotent.
 */
export function resolveJobSpec(
  spec: JobSpec,
  defaults: ModelDefaults,
  limits: Pick<SpecLimits, 'maxSteps'> = DEFAULT_SPEC_LIMITS,
): SpecResolveResult {
  const fields = FIELDS[spec.technique];
  const out: ResolvedJobSpec = {
    ...structuredClone(spec),
    steps: spec.steps ?? Math.max(1, Math.min(defaults.steps, limits.maxSteps)),
    guidance: spec.guidance ?? defaults.guidance,
  };
  if (fields.uses.includes('count')) out.count = spec.count ?? SPEC_DEFAULTS.count;
  if (fields.uses.includes('sampler')) out.sampler = spec.sampler ?? defaults.sampler ?? DEFAULT_SAMPLER;
  if (fields.uses.includes('noiseLevel')) {
    out.noiseLevel ??= defaultNoiseLevel(out.steps);
    if (out.noiseLevel > out.steps - 1) {
      const given =
        spec.steps === undefined ? `this model's ${out.steps} steps` : `the step count (${out.steps})`;
      return { ok: false, message: `Noise level must be below ${given}.` };
    }
  }
  return { ok: true, spec: out };
}

/** Whether a guidance scale turns classifier-free guidance on (diffusers' rule: s > 1; at 1 or less one conditional UNet evaluation per step). */
export function usesGuidance(guidance: number): boolean {
  return guidance > 1;
}

/** The same spec with a new seed: the 🔁 regenerate of the design (the lineage is the caller's to set). */
export function regenerate(spec: JobSpec, newSeed: number = randomSeed()): JobSpec {
  if (!Number.isInteger(newSeed) || newSeed < 0 || newSeed > 0xffffffff)
    throw new RangeError('seed must be a uint32');
  const out: JobSpec = { ...structuredClone(spec), seed: newSeed };
  delete out.from;
  return out;
}

/** How many candidates a spec draws: its count where its technique takes one, else 1. */
export function countOf(spec: Pick<JobSpec, 'technique' | 'count'>): number {
  return FIELDS[spec.technique]?.uses.includes('count') ? (spec.count ?? SPEC_DEFAULTS.count) : 1;
}

/** The seeds of a job's candidates: seed, seed+1, ... (wrapping at 2^32). */
export function candidateSeeds(spec: Pick<JobSpec, 'technique' | 'seed' | 'count'>): number[] {
  return Array.from({ length: countOf(spec) }, (_, i) => (spec.seed + i) % 0x100000000);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
