// /denoise image [t] [method]: noise an image to t, then denoise it by Gaussian blur, one-step
// x0 = (x_t - sqrt(1 - abar_t) eps_hat) / sqrt(abar_t), or iterative DDPM; 'all' compares them.
import { DEFAULT_SPEC_LIMITS, DENOISE_METHODS, SPEC_DEFAULTS } from '../src/jobs/spec.ts';
import { imageOption, seedOption, stepsOption, samplerOption } from './options.ts';
import { defined, optNumber, optString, submitJob } from './submit.ts';
import type { CommandContext, CommandReply, CommandSpec } from './types.ts';

const METHOD_LABELS: Record<string, string> = {
  blur: 'Gaussian blur (classical)',
  'one-step': 'One-step model estimate',
  iterative: 'Iterative denoising (DDPM)',
  all: 'All three, side by side',
};

export const spec: CommandSpec = {
  name: 'denoise',
  description: 'Noise an image, then remove the noise: blur vs. one-step vs. iterative',
  technique: 'denoise',
  options: [
    imageOption('image', 'The image to noise and denoise', true),
    {
      name: 't',
      description: `Noise timestep, 1-${DEFAULT_SPEC_LIMITS.maxTimestep} (default ${SPEC_DEFAULTS.denoiseT})`,
      type: 'integer',
      min: 1,
      max: DEFAULT_SPEC_LIMITS.maxTimestep,
      default: SPEC_DEFAULTS.denoiseT,
    },
    {
      name: 'method',
      description: `How to denoise (default ${SPEC_DEFAULTS.method})`,
      type: 'string',
      choices: DENOISE_METHODS.map((m) => ({ name: METHOD_LABELS[m] ?? m, value: m })),
      default: SPEC_DEFAULTS.method,
    },
    seedOption,
    stepsOption,
    samplerOption,
  ],
};

/** Submits a denoise job: image, t (one timestep), method. */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const o = ctx.options;
  const t = optNumber(o, 't');
  return submitJob(ctx, {
    technique: 'denoise',
    ...defined({
      image: optString(o, 'image'),
      t: t === undefined ? undefined : [t],
      method: optString(o, 'method') as (typeof DENOISE_METHODS)[number] | undefined,
      seed: optNumber(o, 'seed'),
      steps: optNumber(o, 'steps'),
      sampler: optString(o, 'sampler'),
    }),
  });
}
