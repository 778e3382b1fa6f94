// One job on Slack: a status message (chat.postMessage) kept up to date with the queue position
// and progress (chat.update, throttled), then the final PNG and denoising GIF uploaded into the
// thread (files.uploadV2: getUploadURLExternal, upload, completeUploadExternal) with the shared
// caption, and a last edit of the status message.
import { readFile } from 'node:fs/promises';
import { buildCaption, formatDuration, gifTitle, noPing, progressBar, queuedText } from '../../../commands/index.ts';
import type { Engine, JobEvent, JobResult, JobSpec, TerminalEvent } from '../../jobs/api.ts';
import { describeSpec } from '../../jobs/spec-describe.ts';
import type { Place, SlackContext } from './context.ts';
import { resultBlocks } from './follow-up-blocks.ts';
import { errorText, slackErrorCode } from './log.ts';
import { formatMessageRef, jobMetadata, resultFileName } from './result-ref.ts';
import { escapeMrkdwn, mention } from './text.ts';
import { ThrottledEditor } from './throttle.ts';

/** What the flow needs of a submitted job. */
export interface JobStart {
  jobId: string;
  spec: JobSpec;
  position: number;
  estimatedWaitMs: number;
  /** What the model understood of the prompt, shown under the head until the result. */
  reading?: string;
}

/** Where a job's status message is. */
export interface StatusMessage {
  channel: string;
  ts: string;
  /** The thread where results go (the status message's own ts when it is top level). */
  threadRoot: string;
}

/** Hint shown under finished results. */
export const REACT_HINT = 'React :repeat: for a new seed, :x: to delete it (requester or admin).';

/** First line of a status message: who asked for what (user text mention-proof and escaped). */
export function statusHead(requester: string, spec: JobSpec, note?: string): string {
  const what = escapeMrkdwn(noPing(describeSpec(spec)));
  return `${mention(requester)} asked for *${what}*${note ? ` (${escapeMrkdwn(noPing(note))})` : ''}`;
}

/** The state line of a status message for one job event. */
export function statusLine(e: JobEvent): string {
  switch (e.type) {
    case 'queued':
      return `:hourglass_flowing_sand: ${escapeMrkdwn(queuedText(e.jobId, e.position, e.estimatedWaitMs))}`;
    case 'started':
      return `:art: Job \`${e.jobId}\` is running…`;
    case 'progress':
      return `:art: \`${progressBar(e.step, e.total)}\` job \`${e.jobId}\``;
    case 'done':
      return `:white_check_mark: Done in ${formatDuration(e.result.timings.totalMs)}: the image and the GIF of its ${gifTitle(e.result.spec.technique)} are in the thread. ${REACT_HINT}`;
    case 'failed':
      return `:x: ${escapeMrkdwn(e.message)}`;
    case 'cancelled':
      return `:no_entry_sign: Job \`${e.jobId}\` was cancelled${e.by ? ` by ${mention(e.by)}` : ''}.`;
  }
}

/** Resolves with a job's terminal event, or null when `signal` aborts first; `onEvent` sees every earlier event. */
export function waitForEnd(engine: Engine, jobId: string, onEvent: (e: JobEvent) => void, signal: AbortSignal): Promise<TerminalEvent | null> {
  return new Promise((resolve) => {
    let settled = false;
    let off: (() => void) | null = null;
    const finish = (v: TerminalEvent | null) => {
      if (settled) return;
      settled = true;
      off?.();
      signal.removeEventListener('abort', onAbort);
      resolve(v);
    };
    const onAbort = () => finish(null);
    if (signal.aborted) return resolve(null);
    signal.addEventListener('abort', onAbort);
    off = engine.subscribe(jobId, (e) => {
      if (settled) return;
      if (e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') finish(e);
      else onEvent(e);
    });
    if (settled) off();
  });
}

/**
 * Posts the status message of a submitted job and follows it in the background. When the
 * message cannot be posted (the bot is not in the channel, ...), the job is cancelled and the
 * reason returned for the caller to tell the user.
 */
export async function startJobFlow(
  ctx: SlackContext,
  job: JobStart,
  place: Place,
  requester: string,
  note?: string,
): Promise<{ ok: true; status: StatusMessage } | { ok: false; code: string; error: string }> {
  const head = statusHead(requester, job.spec, note) + (job.reading ? `\n${escapeMrkdwn(job.reading)}` : '');
  const first = `${head}\n${statusLine({ type: 'queued', jobId: job.jobId, owner: { platform: 'slack', userId: requester }, position: job.position, estimatedWaitMs: job.estimatedWaitMs })}`;
  let ts: string;
  try {
    const res = await ctx.client.chat.postMessage({
      channel: place.channel,
      ...(place.threadTs ? { thread_ts: place.threadTs } : {}),
      text: first,
      metadata: jobMetadata(job.jobId),
      unfurl_links: false,
      unfurl_media: false,
    });
    if (!res.ts) throw new Error('chat.postMessage returned no ts');
    ts = res.ts;
  } catch (err) {
    await ctx.engine.cancel(job.jobId, { userId: requester, isAdmin: true, platform: 'slack' }).catch(() => {});
    ctx.log.warn({ jobId: job.jobId, err: errorText(err, ctx.secrets) }, 'could not post the status message');
    return { ok: false, code: slackErrorCode(err) ?? 'error', error: errorText(err, ctx.secrets) };
  }
  const status: StatusMessage = { channel: place.channel, ts, threadRoot: place.threadTs ?? ts };
  ctx.following.add(job.jobId);
  await ctx.engine.setMessageRef(job.jobId, formatMessageRef(status.channel, status.ts, status.threadRoot));
  ctx.background(`job ${job.jobId}`, (signal) => followJob(ctx, job.jobId, status, head, first, signal));
  return { ok: true, status };
}

/** Keeps a job's status message up to date until the job ends, then uploads the result (or reports the failure). */
export async function followJob(ctx: SlackContext, jobId: string, status: StatusMessage, head: string, shown: string | null, signal: AbortSignal): Promise<void> {
  ctx.following.add(jobId);
  const update = async (text: string) => {
    await ctx.client.chat.update({ channel: status.channel, ts: status.ts, text });
  };
  const editor = new ThrottledEditor(ctx.statusIntervalMs, update, Date.now, shown);
  try {
    const end = await waitForEnd(ctx.engine, jobId, (e) => editor.set(`${head}\n${statusLine(e)}`), signal);
    await editor.close();
    if (!end) return;
    let finalText = `${head}\n${statusLine(end)}`;
    let uploaded = false;
    if (end.type === 'done') {
      try {
        await uploadResult(ctx, end.result, status);
        uploaded = true;
      } catch (err) {
        ctx.log.warn({ jobId, err: errorText(err, ctx.secrets) }, 'result upload failed');
        finalText = `${head}\n:x: The job finished but I could not upload the result (${escapeMrkdwn(errorText(err, ctx.secrets))}). Job \`${jobId}\`.`;
      }
    }
    const wait = editor.waitBeforeNext();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // A result gets its follow-up buttons (U n, V n, 🔁, zoom out, pan) under the status text.
    const blocks = end.type === 'done' && uploaded ? resultBlocks(finalText, jobId, end.result.spec) : undefined;
    try {
      if (blocks) await ctx.client.chat.update({ channel: status.channel, ts: status.ts, text: finalText, blocks });
      else await update(finalText);
    } catch (err) {
      ctx.log.warn({ jobId, err: errorText(err, ctx.secrets) }, 'final status edit failed');
      // Buttons refused (invalid_blocks): the status still shows the end, as text (the result is in the thread).
      if (blocks) await update(finalText).catch(() => {});
    }
  } finally {
    await editor.close();
    ctx.following.delete(jobId);
  }
}

/** Uploads a finished job's PNG and GIF into the status message's thread with the shared caption. */
export async function uploadResult(ctx: SlackContext, result: JobResult, status: StatusMessage): Promise<void> {
  const record = await ctx.engine.get(result.jobId);
  // Rerolls get the note; other follow-ups (U n, V n, zoom, pan) are named by the caption itself (spec.from).
  const rerolled = record?.parentId && (!record.spec.from || record.spec.from.action === 'reroll');
  const note = rerolled ? `again with a new seed, from job ${record.parentId}` : undefined;
  const caption = escapeMrkdwn(buildCaption(result, { style: 'slack', maxLength: 3500, ...(note ? { note } : {}) }));
  const title = `${result.spec.technique} · seed ${result.spec.seed}`;
  const uploads: { file: Buffer; filename: string; title: string }[] = [
    { file: await readFile(result.files.png), filename: resultFileName(result.jobId, 'png'), title },
  ];
  if (result.files.gif) uploads.push({ file: await readFile(result.files.gif), filename: resultFileName(result.jobId, 'gif'), title: `${title} · denoising` });
  await ctx.client.files.uploadV2({
    channel_id: status.channel,
    thread_ts: status.threadRoot,
    initial_comment: caption,
    file_uploads: uploads,
  });
}
