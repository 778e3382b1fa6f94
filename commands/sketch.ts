// /sketch image [prompt] [noise_level]: image-to-image from an attached sketch or photo (SDEdit).
import { imageOption, MODEL_DEFAULT_TEXT, promptOption, seedOption, stepsOption, samplerOption, countOption } from './options.ts';
import { defined, optNumber, optString, submitJob } from './submit.ts';
import type { CommandContext, CommandReply, CommandSpec } from './types.ts';

export const spec: CommandSpec = {
  name: 'sketch',
  description: 'Turn a sketch or photo into a picture (SDEdit: noise it, then denoise)',
  technique: 'sketch',
  options: [
    imageOption('image', 'The sketch or photo to start from', true),
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
  ],
};

/** Submits a sketch job: image, prompt, noiseLevel = noise_level (the SDEdit i_start). */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const o = ctx.options;
  return submitJob(ctx, {
    technique: 'sketch',
    ...defined({
      image: optString(o, 'image'),
      prompt: optString(o, 'prompt'),
      noiseLevel: optNumber(o, 'noise_level'),
      seed: optNumber(o, 'seed'),
      steps: optNumber(o, 'steps'),
      sampler: optString(o, 'sampler'),
      count: optNumber(o, 'count'),
    }),
  });
}
