// Runs a platform-neutral command for a Slack user and renders its reply: a job starts its
// status flow; refusals and texts go back through the caller's reply function.
import { runCommand, type Command, type CommandContext, type CommandOptions, type CommandSpec } from '../../../commands/index.ts';
import { ACCEPTED_FORMATS_TEXT } from '../../imaging/index.ts';
import type { Place, SlackContext } from './context.ts';
import { DownloadError, downloadSlackFile } from './download.ts';
import { describeFile, isImageFile, resolveFile, type SlackFile } from './files.ts';
import { errorText } from './log.ts';
import { startJobFlow } from './job-flow.ts';
import { startPrivateJobFlow } from './private-flow.ts';
import { escapeMrkdwn, mention, toMrkdwn } from './text.ts';

/** Sends a reply; `ephemeral` = only the caller should see it where the entry point allows. */
export type Reply = (text: string, ephemeral: boolean) => Promise<void>;

/** Callback id of the message shortcut, as in deploy/slack-manifest.json. */
export const SHORTCUT_CALLBACK_ID = 'diffuse_image';

/** Whether a command needs an image the user posted. */
export function needsImage(spec: CommandSpec): boolean {
  return spec.options.some((o) => o.type === 'image' && o.required);
}

/** How to run an image technique on Slack, where slash commands carry no files. */
export function imageHowTo(spec: CommandSpec, botUserId: string): string {
  const example = spec.name === 'sketch' ? 'sketch a rocket ship --noise_level 5' : spec.name === 'inpaint' ? 'inpaint a red balloon' : spec.name;
  return [
    `/${spec.name} works on an image posted in Slack, since slash commands carry no files. Post the image (${ACCEPTED_FORMATS_TEXT}), then either:`,
    `• choose *Diffuse this image* in the message's ⋯ menu (More actions), or`,
    `• reply in its thread with \`${mention(botUserId)} ${escapeMrkdwn(example)}\` (the most recent image in the thread is used).`,
    `To start from one of my results instead, give its job id: \`/${spec.name} --job ID --candidate N …\`${spec.name === 'inpaint' ? ` (mention me with it in the thread of a posted mask: \`${mention(botUserId)} inpaint --job ID a red balloon\`)` : ''}.`,
  ].join('\n');
}

/** Runs `command` for `userId` in `place` and answers: a status flow for jobs, `reply` for everything else. */
export async function runSlackCommand(
  ctx: SlackContext,
  command: Command,
  options: CommandOptions,
  userId: string,
  place: Place,
  reply: Reply,
): Promise<void> {
  const cctx: CommandContext = {
    engine: ctx.engine,
    owner: { platform: 'slack', userId, channelRef: place.channel, ...(ctx.teamId ? { serverId: ctx.teamId } : {}) },
    actor: { userId, isAdmin: ctx.isAdmin(userId), platform: 'slack', serverAdmin: ctx.isAdmin(userId) },
    options,
    modelsDir: ctx.config.modelsDir,
    defaultModel: ctx.config.model,
    commandPrefix: '/',
    logger: ctx.log,
  };
  const r = await runCommand(command, cctx);
  switch (r.kind) {
    case 'job': {
      if (r.private) {
        const shown = await startPrivateJobFlow(ctx, r, place, userId);
        if (!shown.ok) await reply(`:warning: I could not show you job \`${r.jobId}\` (${escapeMrkdwn(shown.error)}), so I cancelled it.`, true);
        return;
      }
      const started = await startJobFlow(ctx, r, place, userId);
      if (!started.ok) {
        const why =
          started.code === 'not_in_channel' || started.code === 'channel_not_found'
            ? `I can't post in this conversation: invite me with \`/invite ${mention(ctx.botUserId)}\` and try again.`
            : `I could not post the status of job \`${r.jobId}\` (${escapeMrkdwn(started.error)}), so I cancelled it.`;
        await reply(`:warning: ${why}`, true);
      }
      return;
    }
    case 'refusal':
      await reply(`:warning: ${escapeMrkdwn(r.message)}`, true);
      return;
    default:
      await reply(toMrkdwn(r.text), 'ephemeral' in r ? (r.ephemeral ?? true) : true);
  }
}

/**
 * Downloads a posted image from Slack's file hosts and stores it in the engine; a message for the
 * user when it is not usable. The queue and per-user limits of `userId` are checked first, so a
 * user who could not submit anyway costs no files.info call, download or decode.
 */
export async function storeSlackImage(ctx: SlackContext, file: SlackFile, userId: string): Promise<{ ok: true; ref: string } | { ok: false; message: string }> {
  const refused = ctx.engine.checkAdmission({ platform: 'slack', userId });
  if (refused) return { ok: false, message: refused.message };
  if (!isImageFile(file)) {
    return { ok: false, message: `${describeFile(file)} is not an image. Post a ${ACCEPTED_FORMATS_TEXT} image and try again.` };
  }
  let full: SlackFile;
  try {
    full = await resolveFile(ctx.client, file);
  } catch (err) {
    ctx.log.warn({ fileId: file.id, err: errorText(err, ctx.secrets) }, 'files.info failed');
    return { ok: false, message: `I can't read ${describeFile(file)} (${errorText(err, ctx.secrets)}); is it shared in this channel?` };
  }
  if (!isImageFile(full)) {
    return { ok: false, message: `${describeFile(full)} is not an image. Post a ${ACCEPTED_FORMATS_TEXT} image and try again.` };
  }
  let bytes: Buffer;
  try {
    bytes = await downloadSlackFile(full, ctx.botToken, ctx.download);
  } catch (err) {
    const message = err instanceof DownloadError ? err.message : 'I could not fetch that file from Slack; try again.';
    ctx.log.warn({ fileId: file.id, err: errorText(err, ctx.secrets) }, 'download refused or failed');
    return { ok: false, message };
  }
  const stored = await ctx.engine.storeUpload(bytes, { platform: 'slack', userId }); // its reference is this user's
  if (!stored.ok) return { ok: false, message: `${describeFile(full)}: ${stored.message}` };
  return { ok: true, ref: stored.ref };
}
