// Mentions: "@bot sketch a rocket ship" in the thread of an image runs the command on the most
// recent image of the thread (conversations.replies); "@bot imagine a cat" works anywhere.
// Answers go into the thread.
import type { App } from '@slack/bolt';
import { parseTextCommand } from '../../../commands/index.ts';
import { ACCEPTED_FORMATS_TEXT } from '../../imaging/index.ts';
import type { SlackContext } from './context.ts';
import { describeFile, latestImage, threadMessages } from './files.ts';
import { errorText } from './log.ts';
import { runSlackCommand, storeSlackImage, type Reply } from './run-command.ts';
import { escapeMrkdwn, mention, slackToPlain } from './text.ts';

/** The fields of an app_mention event the handler reads. */
interface MentionEvent {
  user?: string;
  text: string;
  ts: string;
  channel: string;
  thread_ts?: string;
}

/** Registers the app_mention handler. `seen` drops redelivered events. */
export function registerMentions(app: App, ctx: SlackContext, seen: (eventId: string | undefined) => boolean): void {
  app.event('app_mention', async ({ event, body }) => {
    if (seen((body as { event_id?: string }).event_id)) return;
    const e = event as unknown as MentionEvent;
    if (!e.user) return;
    const threadTs = e.thread_ts ?? e.ts;
    const reply: Reply = async (text) => {
      await ctx.client.chat.postMessage({ channel: e.channel, thread_ts: threadTs, text, unfurl_links: false, unfurl_media: false });
    };
    try {
      await handleMention(ctx, e, threadTs, reply);
    } catch (err) {
      ctx.log.error({ err: errorText(err, ctx.secrets) }, 'mention failed');
      await reply(':warning: Something went wrong; please try again.', false).catch(() => {});
    }
  });
}

async function handleMention(ctx: SlackContext, e: MentionEvent, threadTs: string, reply: Reply): Promise<void> {
  const text = slackToPlain(e.text, ctx.botUserId);
  const me = mention(ctx.botUserId);
  if (text === '') {
    await reply(`Write a command after the mention, e.g. \`${me} imagine a rocket ship\`, or \`${me} sketch a castle\` in the thread of an image. \`${me} help\` lists them all.`, false);
    return;
  }
  const parsed = parseTextCommand(text);
  if (!parsed.ok) {
    await reply(`:warning: ${escapeMrkdwn(parsed.error)}`, false);
    return;
  }
  const options = { ...parsed.options };
  // With --job (an earlier result as the image), the thread's image is /inpaint's mask.
  const jobMask = parsed.options.job !== undefined && parsed.command.spec.options.some((o) => o.name === 'mask');
  const imageSlots = jobMask ? ['mask'] : parsed.missingImages;
  if (imageSlots.length > 0) {
    const messages = (await threadMessages(ctx.client, e.channel, threadTs)).filter((m) => Number(m.ts) <= Number(e.ts));
    const found = latestImage(messages);
    if (!found.image) {
      const why = found.other
        ? `The most recent file here, ${escapeMrkdwn(describeFile(found.other))}, is not an image.`
        : e.thread_ts
          ? 'I found no image in this thread.'
          : 'I found no image here.';
      await reply(
        `:warning: ${why} /${parsed.command.spec.name} needs one: post a ${ACCEPTED_FORMATS_TEXT} image, then mention me in its thread (\`${me} ${parsed.command.spec.name} …\`).`,
        false,
      );
      return;
    }
    const stored = await storeSlackImage(ctx, found.image, e.user!);
    if (!stored.ok) {
      await reply(`:warning: ${escapeMrkdwn(stored.message)}`, false);
      return;
    }
    for (const slot of imageSlots) options[slot] = stored.ref;
  }
  await runSlackCommand(ctx, parsed.command, options, e.user!, { channel: e.channel, threadTs }, reply);
}
