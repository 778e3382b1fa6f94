// /cancel [job]: cancel a job by id, or without one the caller's latest waiting or running job.
import type { CommandContext, CommandReply, CommandSpec } from './types.ts';
import { optString } from './submit.ts';

export const spec: CommandSpec = {
  name: 'cancel',
  description: 'Cancel a job (yours, or any as an admin); without an id, your latest one',
  options: [{ name: 'job', description: 'Job id, e.g. k3x9q2m7ab (default: your latest job)', type: 'string', maxLength: 64 }],
};

/** Cancels the given job, or the caller's latest queued/running job; engine refusals pass through. */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  let jobId = optString(ctx.options, 'job')?.replace(/`/g, '');
  if (!jobId) {
    const mine = (await ctx.engine.listQueue()).filter((e) => e.owner.userId === ctx.owner.userId && e.owner.platform === ctx.owner.platform);
    if (mine.length === 0) return { kind: 'refusal', message: 'You have no job waiting or running.' };
    jobId = mine.reduce((a, b) => (b.createdAt >= a.createdAt ? b : a)).jobId;
  }
  const res = await ctx.engine.cancel(jobId, ctx.actor);
  if (!res.ok) return { kind: 'refusal', message: res.message, code: res.code };
  const text = res.status === 'cancelled' ? `Cancelled job \`${jobId}\`.` : `Job \`${jobId}\` is ${res.status}.`;
  return { kind: 'text', text, ephemeral: true };
}
