// /inpaint image prompt [mask]: regenerate part of an image (the mask's white pixels, or the
// image's transparent pixels when no mask is attached).
import { imageOption, promptOption, seedOption, stepsOption, samplerOption } from './options.ts';
import { defined, optNumber, optString, submitJob } from './submit.ts';
import type { CommandContext, CommandReply, CommandSpec } from './types.ts';

export const spec: CommandSpec = {
  name: 'inpaint',
  description: 'Repaint part of an image: its transparent pixels, or the white part of a mask',
  technique: 'inpaint',
  options: [
    imageOption('image', 'The image; transparent pixels are repainted when no mask is given', true),
    promptOption('prompt', 'What to paint into the region', true),
    imageOption('mask', 'Optional mask: white = repaint, black = keep', false),
    seedOption,
    stepsOption,
    samplerOption,
  ],
};

/** Submits an inpaint job: image, prompt, optional mask. */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const o = ctx.options;
  return submitJob(ctx, {
    technique: 'inpaint',
    ...defined({
      image: optString(o, 'image'),
      prompt: optString(o, 'prompt'),
      mask: optString(o, 'mask'),
      seed: optNumber(o, 'seed'),
      steps: optNumber(o, 'steps'),
      sampler: optString(o, 'sampler'),
    }),
  });
}
