// Runs in the bot's process.
// The "Use as input" message action on a result of this bot: says, to the caller only, how to run
// /sketch or /inpaint on that result (the exact command with job: and candidate:), since a Discord
// context menu cannot open a slash command with its options filled in.
import type { MessageContextMenuCommandInteraction } from 'discord.js';
import type { CommandContext } from '../../../commands/types.ts';
import { countOf } from '../../jobs/spec.ts';
import { resultInput } from '../../engine/result-input.ts';
import { jobIdOfMessage } from './messages.ts';

/** The answer of Use as input on `i.targetMessage`; `ctx` is the caller's command context without options. */
export async function useAsInputText(
  i: MessageContextMenuCommandInteraction,
  ctx: Omit<CommandContext, 'options'>,
  botUserId: string | undefined,
): Promise<string> {
  const m = i.targetMessage;
  const jobId =
    botUserId && m.author?.id === botUserId
      ? jobIdOfMessage({ content: m.content, components: m.components.map((c) => c.toJSON()) })
      : null;
  if (!jobId) return 'That message shows no result of mine: use Use as input on one of my pictures.';
  return useAsInput(ctx, jobId);
}

/** How to start /sketch or /inpaint from job `jobId` for the caller of `ctx`, or why it cannot be done (a warning line). */
export async function useAsInput(ctx: Omit<CommandContext, 'options'>, jobId: string): Promise<string> {
  const ref = await resultInput(ctx.engine, jobId, 1, ctx.owner);
  if (!ref.ok) return `⚠️ ${ref.message}`;
  const parent = await ctx.engine.get(jobId);
  const count = parent?.result ? countOf(parent.result.spec) : 1;
  const pick = count > 1 ? `candidate:1` : '';
  const cmd = (name: string, rest: string) => `\`/${name} job:${jobId}${pick ? ' ' + pick : ''} ${rest}\``;
  return [
    `Start from job \`${jobId}\`${count > 1 ? ` (candidate 1 of ${count}; use candidate:2 … candidate:${count} for the others)` : ''}: type one of these (Discord cannot fill a command in from a menu):`,
    `• ${cmd('sketch', 'prompt:what it should become')} (add noise_level: 1 = close to the picture, 20 = free)`,
    `• ${cmd('inpaint', 'prompt:what to paint')} and attach a mask (white = repaint, black = keep)`,
    'Nothing is uploaded again: the new job starts from the picture as it is stored and names this job as its parent.',
  ].join('\n');
}
