// /queue: the jobs waiting and running, the caller's marked.
import type { QueueEntry } from '../src/jobs/api.ts';
import { formatDuration } from './format.ts';
import type { CommandContext, CommandReply, CommandSpec } from './types.ts';

export const spec: CommandSpec = {
  name: 'queue',
  description: 'Show the jobs waiting and running',
  options: [],
};

/** Most entries listed before "and N more". */
export const QUEUE_LIST_MAX = 10;

/** Another user's private job as the queue shows it: no id, no owner, only its place and wait. */
function hidden(e: QueueEntry): QueueEntry {
  return { ...e, jobId: '', owner: { platform: e.owner.platform, userId: '', private: true } };
}

/** Lists queued and running jobs (running first, then FIFO), marking the caller's own; others' private jobs show without id or owner. */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const mine = (e: QueueEntry) => e.owner.userId === ctx.owner.userId && e.owner.platform === ctx.owner.platform;
  const entries = (await ctx.engine.listQueue()).map((e) => (e.owner.private && !mine(e) ? hidden(e) : e));
  if (entries.length === 0) return { kind: 'queue', entries, text: 'The queue is empty: a new job starts right away.', ephemeral: true };
  const lines = entries.slice(0, QUEUE_LIST_MAX).map((e, i) => {
    const who = mine(e) ? ' (yours)' : '';
    const state = e.status === 'running' ? 'running' : `waiting, about ${formatDuration(e.estimatedWaitMs)}`;
    const name = e.jobId ? `${e.technique} \`${e.jobId}\`` : 'a private job';
    return `${i + 1}. ${name}${who}: ${state}`;
  });
  const more = entries.length > QUEUE_LIST_MAX ? `\n…and ${entries.length - QUEUE_LIST_MAX} more.` : '';
  const waiting = entries.filter((e) => e.status === 'queued').length;
  const head = `${entries.length} job${entries.length === 1 ? '' : 's'} in the queue (${waiting} waiting):`;
  return { kind: 'queue', entries, text: `${head}\n${lines.join('\n')}${more}`, ephemeral: true };
}
