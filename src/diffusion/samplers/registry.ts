// Samplers by name: the names a job spec, a command option and a model manifest may use.
import { ddim } from './ddim.ts';
import { ddpm } from './ddpm.ts';
import { dpmpp2m } from './dpmpp-2m.ts';
import { eulerAncestral } from './euler-a.ts';
import type { Sampler } from './sampler.ts';

const SAMPLERS = {
  ddpm,
  ddim: ddim(0),
  'ddim-eta1': ddim(1),
  'dpmpp-2m': dpmpp2m(false),
  'dpmpp-2m-karras': dpmpp2m(true),
  'euler-a': eulerAncestral(1),
} satisfies Record<string, Sampler>;

export type SamplerName = keyof typeof SAMPLERS;

/** Every sampler name, the default first. */
export const SAMPLER_NAMES = Object.keys(SAMPLERS) as SamplerName[];

/** The sampler when neither the job nor the model names one: the study's strided DDPM. */
export const DEFAULT_SAMPLER: SamplerName = 'ddpm';

/** One-line descriptions for help texts. */
export const SAMPLER_DESCRIPTIONS: Record<SamplerName, string> = {
  ddpm: 'strided DDPM (the study; default)',
  ddim: 'DDIM, deterministic (eta 0)',
  'ddim-eta1': 'DDIM with eta 1 (stochastic)',
  'dpmpp-2m': 'DPM-Solver++(2M), deterministic, good at 10-20 steps',
  'dpmpp-2m-karras': 'DPM-Solver++(2M) on Karras-spaced steps',
  'euler-a': 'Euler ancestral (k-diffusion)',
};

/** Whether a string names a sampler. */
export function isSamplerName(name: string): name is SamplerName {
  return Object.hasOwn(SAMPLERS, name);
}

/** The sampler of a name; throws a RangeError naming the known ones. */
export function getSampler(name: string): Sampler {
  if (!isSamplerName(name))
    throw new RangeError(`unknown sampler "${name}"; known: ${SAMPLER_NAMES.join(', ')}`);
  return SAMPLERS[name];
}
