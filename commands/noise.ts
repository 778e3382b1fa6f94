// /noise image [t]: the forward process x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps at a few t.
import { DEFAULT_SPEC_LIMITS, SPEC_DEFAULTS } from '../src/jobs/spec.ts';
import { imageOption, seedOption } from './options.ts';
import { defined, optNumber, optString, submitJob } from './submit.ts';
import type { CommandContext, CommandReply, CommandSpec } from './types.ts';

export const spec: CommandSpec = {
  name: 'noise',
  description: 'Show an image under the forward (noising) process at a few timesteps',
  technique: 'noise',
  options: [
    imageOption('image', 'The image to noise', true),
    {
      name: 't',
      description: `Timesteps 1-${DEFAULT_SPEC_LIMITS.maxTimestep}, comma-separated (default ${SPEC_DEFAULTS.noiseT.join(',')})`,
      type: 'string',
      maxLength: 60,
      default: SPEC_DEFAULTS.noiseT.join(','),
    },
    seedOption,
  ],
};

/** Parses "250, 500 750" into [250, 500, 750]; a message when a part is not a whole number. */
export function parseTimesteps(text: string): number[] | { error: string } {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (parts.length === 0) return { error: 'Give at least one timestep t, e.g. 250,500,750.' };
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) return { error: `"${p}" is not a timestep; give whole numbers such as 250,500,750.` };
    out.push(Number(p));
  }
  return out;
}

/** Submits a noise job: image and the list of timesteps t. */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const o = ctx.options;
  const tText = optString(o, 't');
  let t: number[] | undefined;
  if (tText !== undefined) {
    const parsed = parseTimesteps(tText);
    if (!Array.isArray(parsed)) return { kind: 'refusal', message: parsed.error };
    t = parsed;
  }
  return submitJob(ctx, {
    technique: 'noise',
    ...defined({ image: optString(o, 'image'), t, seed: optNumber(o, 'seed') }),
  });
}
