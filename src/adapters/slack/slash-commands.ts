// Slash commands: /imagine, /sketch, ... parsed from their text with commands/text-args.ts.
// ack() comes first, always; the work (and every reply) follows through response_url and the
// status flow. Image techniques answer how to start them from a posted image.
import type { App } from '@slack/bolt';
import { getCommand, parseTextArgs, type Command } from '../../../commands/index.ts';
import type { SlackContext } from './context.ts';
import { errorText } from './log.ts';
import { imageHowTo, needsImage, runSlackCommand, type Reply } from './run-command.ts';
import { escapeMrkdwn, slackToPlain } from './text.ts';

/** The command a slash command names: "/imagine", or a workspace-prefixed "/diffuse-imagine" / "/diffuse_imagine". */
export function resolveSlashCommand(name: string): Command | undefined {
  const bare = name.replace(/^\//, '').toLowerCase();
  return getCommand(bare) ?? getCommand(bare.replace(/^[a-z0-9]+[-_]/, ''));
}

/** Registers one handler for every slash command of the app. */
export function registerSlashCommands(app: App, ctx: SlackContext): void {
  app.command(/^\/[\w-]+$/, async ({ command, ack, respond }) => {
    await ack();
    const reply: Reply = async (text, ephemeral) => {
      await respond({ response_type: ephemeral ? 'ephemeral' : 'in_channel', text });
    };
    try {
      const cmd = resolveSlashCommand(command.command);
      if (!cmd) return await reply(`I don't know ${escapeMrkdwn(command.command)}. Try /help.`, true);
      const text = slackToPlain(command.text ?? '');
      const parsed = parseTextArgs(text, cmd.spec);
      // Without --job ID (an earlier result as the image), an image technique starts from a posted image.
      const givesJob = parsed.ok ? parsed.options.job !== undefined : /(?:^|\s)(?:--job\b|job:)/i.test(text);
      if (needsImage(cmd.spec) && !givesJob) return await reply(imageHowTo(cmd.spec, ctx.botUserId), true);
      if (!parsed.ok) return await reply(`:warning: ${escapeMrkdwn(parsed.error)}`, true);
      await runSlackCommand(ctx, cmd, parsed.options, command.user_id, { channel: command.channel_id }, reply);
    } catch (err) {
      ctx.log.error({ command: command.command, err: errorText(err, ctx.secrets) }, 'slash command failed');
      await reply(':warning: Something went wrong; please try again.', true).catch(() => {});
    }
  });
}
