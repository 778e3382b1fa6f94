// Option specs shared by several commands, with the engine's limits and defaults.
import { SAMPLER_NAMES } from '../src/diffusion/samplers/registry.ts';
import { DEFAULT_SPEC_LIMITS, MAX_COUNT, SPEC_DEFAULTS } from '../src/jobs/spec.ts';
import type { ModelInfo } from '../src/jobs/api.ts';
import type { CommandSpec, OptionSpec } from './types.ts';

/** Largest seed (uint32). */
export const MAX_SEED = 0xffffffff;

/** A prompt option (text, up to the engine's prompt length). */
export function promptOption(name: string, description: string, required: boolean): OptionSpec {
  return { name, description, type: 'string', required, maxLength: DEFAULT_SPEC_LIMITS.maxPromptChars };
}

/** An image attachment option. */
export function imageOption(name: string, description: string, required: boolean): OptionSpec {
  return { name, description, type: 'image', required };
}

/** Name of the option that gives an earlier result as the image (sketch, inpaint): `job:<id>`. */
export const JOB_OPTION = 'job';

/** job: an earlier result of this bot as the image, instead of an attachment (no re-upload; the new job names it as its parent). */
export const jobOption: OptionSpec = {
  name: JOB_OPTION,
  description: 'Instead of an image: the id of one of your results to start from (its picture is used as is)',
  type: 'string',
  maxLength: 64,
};

/** candidate: which picture of that result's grid (1-based); left out = 1. */
export const candidateOption: OptionSpec = {
  name: 'candidate',
  description: `With job: which of its pictures (1-${MAX_COUNT}, default 1)`,
  type: 'integer',
  min: 1,
  max: MAX_COUNT,
};

/**
 * Whether option `o` of `spec` is a required image that a `job` option can stand in for: required
 * when no job is given. Text parsing treats it as given once job is, and Discord offers it as optional
 * (its client cannot make one of two options required).
 */
export function jobStandsIn(spec: Pick<CommandSpec, 'options'>, o: OptionSpec): boolean {
  return o.type === 'image' && o.name === 'image' && !!o.required && spec.options.some((x) => x.name === JOB_OPTION);
}

/** seed: the noise generator's seed; random when left out. */
export const seedOption: OptionSpec = {
  name: 'seed',
  description: 'Seed of the noise (same seed + same prompt = same image); random if left out',
  type: 'integer',
  min: 0,
  max: MAX_SEED,
};

/** negative: the prompt CFG steers away from. */
export const negativeOption: OptionSpec = promptOption('negative', 'What to steer away from (negative prompt)', false);

/** The model-dependent part of an option's description; /help fills in the model's value (withModelDefaults). */
export const MODEL_DEFAULT_TEXT = "default: the model's, see /model";

/** steps: number of denoising steps; left out = the model's default (the engine resolves it). */
export const stepsOption: OptionSpec = {
  name: 'steps',
  description: `Denoising steps (${MODEL_DEFAULT_TEXT})`,
  type: 'integer',
  min: 1,
  max: DEFAULT_SPEC_LIMITS.maxSteps,
  modelDefault: 'steps',
};

/** cfg: the classifier-free guidance scale s; left out = the model's default (the engine resolves it). */
export const cfgOption: OptionSpec = {
  name: 'cfg',
  description: `Guidance scale: how closely to follow the prompt; 1 or less = off (${MODEL_DEFAULT_TEXT})`,
  type: 'number',
  min: 0,
  max: DEFAULT_SPEC_LIMITS.maxGuidance,
  modelDefault: 'guidance',
};

/** sampler: the update rule of the denoising loop (SAMPLER_NAMES); left out = the model's default, else ddpm. */
export const samplerOption: OptionSpec = {
  name: 'sampler',
  description: "Sampler: ddpm (the study's), dpmpp-2m or ddim (fewer steps), euler-a; default: the model's",
  type: 'string',
  choices: SAMPLER_NAMES.map((n) => ({ name: n, value: n })),
};

/** private: show the job only to the person who asked (Discord ephemeral, Slack only-visible-to-you); left out = their /settings. */
export const privateOption: OptionSpec = {
  name: 'private',
  description: 'Show the result only to you (default: your /settings)',
  type: 'boolean',
};

/** Techniques that draw with the model's prior where it has one (noise and denoise show the forward process and one-step estimates). */
export const PRIOR_TECHNIQUES: readonly string[] = ['imagine', 'sketch', 'inpaint', 'anagram', 'hybrid'];

/** prior: the model's coarse data prior (the bundled model lays pictures out from training images of the named emoji); left out = on, or the /settings. */
export const priorOption: OptionSpec = {
  name: 'prior',
  description: "Lay the picture out from training images of what you name (the bundled model's prior; default on)",
  type: 'boolean',
};

/** A boolean option as chat or text gives it (true/false, yes/no, on/off, 1/0); undefined when absent, null when it is none of these. */
export function optBoolean(v: unknown): boolean | undefined | null {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  const s = String(v).trim();
  if (/^(true|yes|on|1)$/i.test(s)) return true;
  if (/^(false|no|off|0)$/i.test(s)) return false;
  return null;
}

/** count: candidates drawn in one job (seeds seed, seed+1, ...), shown as a grid; left out = SPEC_DEFAULTS.count. */
export const countOption: OptionSpec = {
  name: 'count',
  description: `Candidates to draw at once, shown as a grid (1-${MAX_COUNT}; default ${SPEC_DEFAULTS.count})`,
  type: 'integer',
  min: 1,
  max: MAX_COUNT,
};

/** An option's description with the model's value in place of MODEL_DEFAULT_TEXT (options without a model default unchanged). */
export function describeWithModelDefault(o: OptionSpec, model: Pick<ModelInfo, 'name' | 'defaults'>): string {
  if (!o.modelDefault) return o.description;
  const value = model.defaults[o.modelDefault];
  return o.description.replace(MODEL_DEFAULT_TEXT, `default: the model's, ${value} for ${model.name}`);
}

/** Command specs whose model-dependent option descriptions name the model's effective defaults (e.g. "default: the model's, 3 for emoji"). */
export function withModelDefaults(
  specs: readonly CommandSpec[],
  model: Pick<ModelInfo, 'name' | 'defaults'>,
): CommandSpec[] {
  return specs.map((c) => ({
    ...c,
    options: c.options.map((o) => (o.modelDefault ? { ...o, description: describeWithModelDefault(o, model) } : o)),
  }));
}
