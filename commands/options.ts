// Option specs shared by several commands, with the engine's limits and defaults.
import { DEFAULT_SPEC_LIMITS, SPEC_DEFAULTS } from '../src/engine/spec.ts';
import type { OptionSpec } from './types.ts';

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

/** steps: number of denoising steps. */
export const stepsOption: OptionSpec = {
  name: 'steps',
  description: `Denoising steps (default ${SPEC_DEFAULTS.steps})`,
  type: 'integer',
  min: 1,
  max: DEFAULT_SPEC_LIMITS.maxSteps,
  default: SPEC_DEFAULTS.steps,
};

/** cfg: the classifier-free guidance scale s. */
export const cfgOption: OptionSpec = {
  name: 'cfg',
  description: `Guidance scale: how strongly to follow the prompt (default ${SPEC_DEFAULTS.guidance})`,
  type: 'number',
  min: 0,
  max: DEFAULT_SPEC_LIMITS.maxGuidance,
  default: SPEC_DEFAULTS.guidance,
};
