// A private job on Slack: only the person who asked sees it. Its status and result are
// "only visible to you" messages (chat.postEphemeral). Ephemeral messages cannot be edited or
// carry uploads, so the flow posts one when the job is queued and one when it ends; the result
// files are uploaded without sharing them in any channel (files.uploadV2 with no channel) and
// shown in the ephemeral message's image blocks by their Slack file id.
import { readFile } from 'node:fs/promises';
import { buildCaption } from '../../../commands/index.ts';
import type { JobResult } from '../../jobs/api.ts';
import type { Place, SlackContext } from './context.ts';
import { statusHead, statusLine, waitForEnd, type JobStart } from './job-flow.ts';
import { errorText, slackErrorCode } from './log.ts';
import { resultFileName } from './result-ref.ts';
import { escapeMrkdwn } from './text.ts';

/** Tries, and the first wait between them, to show a file Slack is still processing. */
const FILE_READY_TRIES = 4;
const FILE_READY_WAIT_MS = 1000;

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

/** Uploads the PNG and GIF unshared and shows them to `user` only, with the shared caption. */
async function showPrivateResult(ctx: SlackContext, result: JobResult, place: Place, user: string): Promise<void> {
  const caption = escapeMrkdwn(buildCaption(result, { style: 'slack', maxLength: 2900 }));
  const title = `${result.spec.technique} · seed ${result.spec.seed}`;
  const uploads: { file: Buffer; filename: string; title: string }[] = [
    { file: await readFile(result.files.png), filename: resultFileName(result.jobId, 'png'), title },
  ];
  if (result.files.gif) uploads.push({ file: await readFile(result.files.gif), filename: resultFileName(result.jobId, 'gif'), title: `${title} · denoising` });
  const res = (await ctx.client.files.uploadV2({ file_uploads: uploads })) as { files?: { id?: string; files?: { id?: string }[] }[] };
  const ids = (res.files ?? []).flatMap((f) => (f.files ? f.files.map((x) => x.id) : [f.id])).filter((id): id is string => typeof id === 'string');
  if (ids.length === 0) throw new Error('files.uploadV2 returned no file');
  const blocks = [
    { type: 'section', text: { type: 'mrkdwn', text: caption } },
    ...ids.map((id, i) => ({ type: 'image', slack_file: { id }, alt_text: i === 0 ? title : `${title} · denoising` })),
  ];
  // A just-uploaded file may not be ready to show yet (Slack answers invalid_blocks): try again a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await postPrivate(ctx, place, user, caption, blocks);
    } catch (err) {
      if (slackErrorCode(err) !== 'invalid_blocks' || attempt >= FILE_READY_TRIES) throw err;
      await new Promise((r) => setTimeout(r, FILE_READY_WAIT_MS * attempt));
    }
  }
}
