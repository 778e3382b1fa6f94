// /inpaint image prompt [mask]: regenerate part of an image (the mask's white pixels, or the
// image's transparent pixels when no mask is attached); the image may be an earlier result
// (job:<id> candidate:<n>), with a mask attached.
import { submitWithImage } from './job-input.ts';
import {
  candidateOption,
  imageOption,
  jobOption,
  promptOption,
  samplerOption,
  seedOption,
  stepsOption,
} from './options.ts';
import { defined, optNumber, optString } from './submit.ts';
import type { CommandContext, CommandReply, CommandSpec } from './types.ts';

export const spec: CommandSpec = {
  name: 'inpaint',
  description: 'Repaint part of an image: its transparent pixels, or the white part of a mask',
  technique: 'inpaint',
  options: [
    imageOption('image', 'The image (or give job: instead); transparent pixels are repainted when no mask is given', true),
    promptOption('prompt', 'What to paint into the region', true),
    imageOption('mask', 'Optional mask: white = repaint, black = keep', false),
    seedOption,
    stepsOption,
    samplerOption,
    jobOption,
    candidateOption,
  ],
};

/** Submits an inpaint job: image (or job + candidate, then with a mask), prompt, optional mask. */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const o = ctx.options;
  return submitWithImage(ctx, {
    technique: 'inpaint',
    ...defined({
      prompt: optString(o, 'prompt'),
      mask: optString(o, 'mask'),
      seed: optNumber(o, 'seed'),
      steps: optNumber(o, 'steps'),
      sampler: optString(o, 'sampler'),
    }),
  });
}
