// A private job on Slack: only the person who asked sees it. Its status is an "only visible to
// you" message (chat.postEphemeral) where it was asked. Ephemeral messages cannot be edited or carry
// uploads, and Slack refuses (invalid_blocks) an image block of a file that is not shared where the
// message goes; so the result files are shared in the requester's direct messages with the bot
// (conversations.open + files.uploadV2), and an ephemeral note where the job was asked points there.
// Where the direct message fails, the note carries the caption and says why the images are missing.
import { readFile } from 'node:fs/promises';
import { buildCaption } from '../../../commands/index.ts';
import type { JobResult } from '../../jobs/api.ts';
import type { Place, SlackContext } from './context.ts';
import { statusHead, statusLine, waitForEnd, type JobStart } from './job-flow.ts';
import { errorText, slackErrorCode } from './log.ts';
import { resultFileName } from './result-ref.ts';
import { escapeMrkdwn } from './text.ts';

/** Posts a message only `user` sees in `place`. */
async function postPrivate(ctx: SlackContext, place: Place, user: string, text: string, blocks?: unknown[]): Promise<void> {
  await ctx.client.chat.postEphemeral({
    channel: place.channel,
    user,
    text,
    ...(place.threadTs ? { thread_ts: place.threadTs } : {}),
    ...(blocks ? { blocks: blocks as never } : {}),
  });
}

/** Tells `requester` (only) that the job is queued, then follows it in the background and shows its end to them only. */
export async function startPrivateJobFlow(ctx: SlackContext, job: JobStart, place: Place, requester: string): Promise<{ ok: true } | { ok: false; error: string }> {
  const head = statusHead(requester, job.spec, 'only you see this');
  const first = statusLine({ type: 'queued', jobId: job.jobId, owner: { platform: 'slack', userId: requester }, position: job.position, estimatedWaitMs: job.estimatedWaitMs });
  try {
    await postPrivate(ctx, place, requester, `${head}\n${first}`);
  } catch (err) {
    await ctx.engine.cancel(job.jobId, { userId: requester, isAdmin: true, platform: 'slack' }).catch(() => {});
    ctx.log.warn({ jobId: job.jobId, err: errorText(err, ctx.secrets) }, 'could not post the private status');
    return { ok: false, error: errorText(err, ctx.secrets) };
  }
  ctx.following.add(job.jobId);
  ctx.background(`private job ${job.jobId}`, async (signal) => {
    try {
      const end = await waitForEnd(ctx.engine, job.jobId, () => {}, signal);
      if (!end) return;
      if (end.type !== 'done') return await postPrivate(ctx, place, requester, `${head}\n${statusLine(end)}`);
      try {
        await showPrivateResult(ctx, end.result, place, requester);
      } catch (err) {
        ctx.log.warn({ jobId: job.jobId, err: errorText(err, ctx.secrets) }, 'private result failed');
        await postPrivate(ctx, place, requester, `${head}\n:x: The job finished but I could not show you the result. Job \`${job.jobId}\`.`);
      }
    } finally {
      ctx.following.delete(job.jobId);
    }
  });
  return { ok: true };
}

/** Shares the PNG and GIF with `user` in a direct message with the bot, and tells them so where they asked. */
async function showPrivateResult(ctx: SlackContext, result: JobResult, place: Place, user: string): Promise<void> {
  const caption = escapeMrkdwn(buildCaption(result, { style: 'slack', maxLength: 2900 }));
  const title = `${result.spec.technique} · seed ${result.spec.seed}`;
  const uploads: { file: Buffer; filename: string; title: string }[] = [
    { file: await readFile(result.files.png), filename: resultFileName(result.jobId, 'png'), title },
  ];
  if (result.files.gif) uploads.push({ file: await readFile(result.files.gif), filename: resultFileName(result.jobId, 'gif'), title: `${title} · denoising` });
  try {
    const dm = await ctx.client.conversations.open({ users: user });
    const channel = dm.channel?.id;
    if (!channel) throw new Error('conversations.open returned no channel');
    await ctx.client.files.uploadV2({ channel_id: channel, initial_comment: caption, file_uploads: uploads });
  } catch (err) {
    const code = slackErrorCode(err) ?? errorText(err, ctx.secrets);
    ctx.log.warn({ jobId: result.jobId, err: errorText(err, ctx.secrets) }, 'could not send the private result by direct message');
    const why = `:warning: I could not send you the images in a direct message (${code}). The job is \`${result.jobId}\`: ask again once I may message you.`;
    await postPrivate(ctx, place, user, `${caption}\n${why}`.slice(0, 3000));
    return;
  }
  await postPrivate(ctx, place, user, `${caption}\n:envelope: Only you can see this: the images are in your direct messages with me.`.slice(0, 3000));
}
