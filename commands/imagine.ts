// /imagine prompt [negative] [seed] [steps] [cfg] [sampler]: text-to-image with classifier-free guidance.
import { promptOption, negativeOption, seedOption, stepsOption, cfgOption, samplerOption, countOption } from './options.ts';
import { defined, optNumber, optString, submitJob } from './submit.ts';
import type { CommandContext, CommandReply, CommandSpec } from './types.ts';

export const spec: CommandSpec = {
  name: 'imagine',
  description: 'Draw an image from a prompt (text-to-image with classifier-free guidance)',
  technique: 'imagine',
  options: [
    promptOption('prompt', 'What to draw, e.g. "a rocket ship"', true),
    negativeOption,
    seedOption,
    stepsOption,
    cfgOption,
    samplerOption,
    countOption,
  ],
};

/** Submits an imagine job: prompt, negative, seed, steps, guidance = cfg. */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const o = ctx.options;
  return submitJob(ctx, {
    technique: 'imagine',
    ...defined({
      prompt: optString(o, 'prompt'),
      negative: optString(o, 'negative'),
      seed: optNumber(o, 'seed'),
      sampler: optString(o, 'sampler'),
      steps: optNumber(o, 'steps'),
      guidance: optNumber(o, 'cfg'),
      count: optNumber(o, 'count'),
    }),
  });
}
