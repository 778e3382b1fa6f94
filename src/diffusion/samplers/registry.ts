// Runs in the inference process and the CLI (pure math, no I/O).
// Samplers by name: the names a job spec, a command option and a model manifest may use, each the
// diffusers scheduler class it reproduces. A sampler is made for a model's scheduler config.
import { configForClass, type ResolvedScheduler } from './config.ts';
import { ddim } from './ddim.ts';
import { ddpm } from './ddpm.ts';
import { dpmpp2m } from './dpmpp-2m.ts';
import { euler, eulerAncestral } from './euler.ts';
import { flowEuler } from './flow-euler.ts';
import { lcm } from './lcm.ts';
import { pndm } from './pndm.ts';
import type { Sampler } from './sampler.ts';

const FLOW = 'FlowMatchEulerDiscreteScheduler';

interface Entry {
  className: string;
  /** Settings the name fixes over the model's config (e.g. Karras sigmas). */
  fixed?: Record<string, unknown>;
  make(settings: Record<string, unknown>): Sampler;
  about: string;
}

const SAMPLERS = {
  ddpm: { className: 'DDPMScheduler', make: ddpm, about: 'strided DDPM (the study; default)' },
  ddim: { className: 'DDIMScheduler', make: (s) => ddim(s, 0), about: 'DDIM, deterministic (eta 0)' },
  'ddim-eta1': { className: 'DDIMScheduler', make: (s) => ddim(s, 1), about: 'DDIM with eta 1 (stochastic)' },
  'dpmpp-2m': {
    className: 'DPMSolverMultistepScheduler',
    fixed: { use_karras_sigmas: false },
    make: (s) => dpmpp2m(s),
    about: 'DPM-Solver++(2M), deterministic, good at 10-20 steps',
  },
  'dpmpp-2m-karras': {
    className: 'DPMSolverMultistepScheduler',
    fixed: { use_karras_sigmas: true },
    make: (s) => dpmpp2m(s),
    about: 'DPM-Solver++(2M) on Karras sigmas',
  },
  'euler-a': { className: 'EulerAncestralDiscreteScheduler', make: eulerAncestral, about: 'Euler ancestral (k-diffusion)' },
  pndm: { className: 'PNDMScheduler', make: pndm, about: 'PNDM / PLMS (Stable Diffusion 1.x ships it)' },
  euler: { className: 'EulerDiscreteScheduler', make: euler, about: 'Euler, deterministic (SD-Turbo ships it)' },
  lcm: { className: 'LCMScheduler', make: lcm, about: 'Latent Consistency Model sampling (LCM-distilled models, 1-8 steps)' },
  'flow-euler': {
    className: 'FlowMatchEulerDiscreteScheduler',
    make: flowEuler,
    about: 'flow matching, Euler (velocity models such as SD3)',
  },
} satisfies Record<string, Entry>;

export type SamplerName = keyof typeof SAMPLERS;

/** Every sampler name, the default first. */
export const SAMPLER_NAMES = Object.keys(SAMPLERS) as SamplerName[];

/** The sampler when neither the job nor the model names one: the study's DDPM. */
export const DEFAULT_SAMPLER: SamplerName = 'ddpm';

/** One-line descriptions for help texts. */
export const SAMPLER_DESCRIPTIONS = Object.fromEntries(
  SAMPLER_NAMES.map((n) => [n, SAMPLERS[n].about]),
) as Record<SamplerName, string>;

/** Whether a string names a sampler. */
export function isSamplerName(name: string): name is SamplerName {
  return Object.hasOwn(SAMPLERS, name);
}

/** The diffusers class a sampler name runs. */
export function samplerClass(name: SamplerName): string {
  return SAMPLERS[name].className;
}

/**
 * The sampler of a name for a model's scheduler config (diffusers' from_config: the model's keys, the
 * class's defaults for the rest); throws a RangeError naming an unknown sampler or a refused key.
 */
export function createSampler(name: string, modelConfig: Record<string, unknown> = {}): Sampler & { config: ResolvedScheduler } {
  if (!isSamplerName(name)) throw new RangeError(`unknown sampler "${name}"; known: ${SAMPLER_NAMES.join(', ')}`);
  const entry: Entry = SAMPLERS[name];
  const flowModel = modelConfig._class_name === FLOW;
  if (flowModel !== (entry.className === FLOW))
    throw new RangeError(
      flowModel ? `a flow-matching model samples with flow-euler, not ${name}` : `${name} runs flow-matching models only`,
    );
  const config = configForClass({ ...modelConfig, ...entry.fixed }, entry.className);
  return Object.assign(entry.make(config.settings), { config });
}

/** The sampler name a diffusers scheduler class (and its config) maps to, or undefined when none runs it. */
export function samplerOfClass(config: Record<string, unknown>): SamplerName | undefined {
  const cls = config._class_name;
  if (cls === 'DPMSolverMultistepScheduler') return config.use_karras_sigmas === true ? 'dpmpp-2m-karras' : 'dpmpp-2m';
  return SAMPLER_NAMES.find((n) => SAMPLERS[n].className === cls);
}
