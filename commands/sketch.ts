// /sketch image [prompt] [noise_level]: image-to-image from an attached sketch or photo (SDEdit), or
// from an earlier result (job:<id> candidate:<n> instead of the image).
import { submitWithImage } from './job-input.ts';
import {
  candidateOption,
  countOption,
  imageOption,
  jobOption,
  MODEL_DEFAULT_TEXT,
  promptOption,
  samplerOption,
  seedOption,
  stepsOption,
} from './options.ts';
import { defined, optNumber, optString } from './submit.ts';
import type { CommandContext, CommandReply, CommandSpec } from './types.ts';

export const spec: CommandSpec = {
  name: 'sketch',
  description: 'Turn a sketch or photo into a picture (SDEdit: noise it, then denoise)',
  technique: 'sketch',
  options: [
    imageOption('image', 'The sketch or photo to start from (or give job: instead)', true),
    promptOption('prompt', 'What it should become (optional)', false),
    {
      name: 'noise_level',
      description: `Start: 1 = close to the image, 20 = free (${MODEL_DEFAULT_TEXT})`,
      type: 'integer',
      min: 1,
      max: 32,
      modelDefault: 'noiseLevel',
    },
    seedOption,
    stepsOption,
    samplerOption,
    countOption,
    jobOption,
    candidateOption,
  ],
};

/** Submits a sketch job: image (or job + candidate), prompt, noiseLevel = noise_level (the SDEdit i_start). */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const o = ctx.options;
  return submitWithImage(ctx, {
    technique: 'sketch',
    ...defined({
      prompt: optString(o, 'prompt'),
      noiseLevel: optNumber(o, 'noise_level'),
      seed: optNumber(o, 'seed'),
      steps: optNumber(o, 'steps'),
      sampler: optString(o, 'sampler'),
      count: optNumber(o, 'count'),
    }),
  });
}
