// /anagram prompt_upright prompt_flipped [view]: a visual anagram, one image that reads as two
// prompts under a view (eps = (eps_1(x) + V^-1(eps_2(V x))) / 2).
import { VIEW_NAMES } from '../src/diffusion/views/registry.ts';
import { SPEC_DEFAULTS } from '../src/jobs/spec.ts';
import { promptOption, seedOption, stepsOption, samplerOption, countOption } from './options.ts';
import { defined, optNumber, optString, submitJob } from './submit.ts';
import type { CommandContext, CommandReply, CommandSpec } from './types.ts';

export const spec: CommandSpec = {
  name: 'anagram',
  description: 'A visual anagram: one image that shows a second prompt when flipped or rotated',
  technique: 'anagram',
  options: [
    promptOption('prompt_upright', 'What it shows as is, e.g. "a star" (pairs that read both ways: star/mushroom, fish/bird)', true),
    promptOption('prompt_flipped', 'What it shows under the view, e.g. "a mushroom"', true),
    {
      name: 'view',
      description: `How to turn the image to see the second prompt (default ${SPEC_DEFAULTS.view})`,
      type: 'string',
      choices: VIEW_NAMES.map((v) => ({ name: v, value: v })),
      default: SPEC_DEFAULTS.view,
    },
    seedOption,
    stepsOption,
    samplerOption,
    countOption,
  ],
};

/** Submits an anagram job: prompt = prompt_upright, prompt2 = prompt_flipped, view. */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const o = ctx.options;
  return submitJob(ctx, {
    technique: 'anagram',
    ...defined({
      prompt: optString(o, 'prompt_upright'),
      prompt2: optString(o, 'prompt_flipped'),
      view: optString(o, 'view'),
      seed: optNumber(o, 'seed'),
      steps: optNumber(o, 'steps'),
      sampler: optString(o, 'sampler'),
      count: optNumber(o, 'count'),
    }),
  });
}
