// The image of /sketch and /inpaint: an attached one, or an earlier result given as job:<id>
// (and candidate:<n>), referenced rather than uploaded again (src/engine/result-input.ts).
import type { JobSpecInput } from '../src/jobs/api.ts';
import { resultInput } from '../src/engine/result-input.ts';
import { JOB_OPTION } from './options.ts';
import { optNumber, optString, submitJob } from './submit.ts';
import type { CommandContext, CommandReply } from './types.ts';

/** Submits `input` (without its image) with the image the options give: `image` (an upload) or `job` + `candidate`; a clear refusal when there is neither, or both, or the job cannot be used. */
export async function submitWithImage(ctx: CommandContext, input: JobSpecInput): Promise<CommandReply> {
  const o = ctx.options;
  const image = optString(o, 'image');
  const jobId = optString(o, JOB_OPTION);
  const candidate = optNumber(o, 'candidate');
  const name = input.technique;
  if (jobId === undefined) {
    if (candidate !== undefined)
      return { kind: 'refusal', code: 'invalid_spec', message: 'candidate goes with job: give job:<id> candidate:<n>, or attach an image.' };
    if (image === undefined)
      return {
        kind: 'refusal',
        code: 'invalid_spec',
        message: `/${name} needs an image: attach one, or give job:<id> (and candidate:<n>) to start from one of your results.`,
      };
    return submitJob(ctx, { ...input, image });
  }
  const ref = await resultInput(ctx.engine, jobId, candidate ?? 1, ctx.owner, image !== undefined);
  if (!ref.ok) return { kind: 'refusal', message: ref.message, code: ref.code };
  return submitJob(ctx, { ...input, source: ref.source, from: ref.from }, { jobId: ref.parentId, private: ref.private });
}
