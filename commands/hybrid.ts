// /hybrid prompt_far prompt_near: a hybrid image (eps = lowpass(eps_far) + highpass(eps_near)).
import { promptOption, seedOption, stepsOption, samplerOption, countOption } from './options.ts';
import { defined, optNumber, optString, submitJob } from './submit.ts';
import type { CommandContext, CommandReply, CommandSpec } from './types.ts';

export const spec: CommandSpec = {
  name: 'hybrid',
  description: 'A hybrid image: one prompt seen from far away, another up close',
  technique: 'hybrid',
  options: [
    promptOption('prompt_far', 'What it shows from far away (low frequencies), e.g. "a skull"', true),
    promptOption('prompt_near', 'What it shows up close (high frequencies), e.g. "a red heart"', true),
    seedOption,
    stepsOption,
    samplerOption,
    countOption,
  ],
};

/** Submits a hybrid job: prompt = prompt_far (low-pass), prompt2 = prompt_near (high-pass). */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const o = ctx.options;
  return submitJob(ctx, {
    technique: 'hybrid',
    ...defined({
      prompt: optString(o, 'prompt_far'),
      prompt2: optString(o, 'prompt_near'),
      seed: optNumber(o, 'seed'),
      steps: optNumber(o, 'steps'),
      sampler: optString(o, 'sampler'),
      count: optNumber(o, 'count'),
    }),
  });
}
