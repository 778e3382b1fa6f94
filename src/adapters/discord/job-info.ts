// /info of a job for an ephemeral reply: the "Job info" message action (the job a result message of
// this bot shows) and the Info button under results.
import type { MessageContextMenuCommandInteraction } from 'discord.js';
import { getCommand, runCommand } from '../../../commands/index.ts';
import type { CommandContext } from '../../../commands/types.ts';
import { jobIdOfMessage } from './messages.ts';

/** The text of the Job info action on `i.targetMessage`; `ctx` is the caller's command context without options. */
export async function jobInfoText(i: MessageContextMenuCommandInteraction, ctx: Omit<CommandContext, 'options'>, botUserId: string | undefined): Promise<string> {
  const m = i.targetMessage;
  const jobId = botUserId && m.author?.id === botUserId ? jobIdOfMessage({ content: m.content, components: m.components.map((c) => c.toJSON()) }) : null;
  if (!jobId) return 'That message shows no job of mine: use Job info on one of my results.';
  return jobInfo(ctx, jobId);
}

/** The text of /info of `jobId` for the caller of `ctx` (a refusal as a warning line). */
export async function jobInfo(ctx: Omit<CommandContext, 'options'>, jobId: string): Promise<string> {
  const reply = await runCommand(getCommand('info')!, { ...ctx, options: { job: jobId } });
  return reply.kind === 'refusal' ? `⚠️ ${reply.message}` : reply.text;
}
