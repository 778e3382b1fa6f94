// How a Slack message maps back to its job, so 🔁 and ❌ work on messages from before a restart:
// the status message carries message metadata {event_type: 'diffuse_job', job_id}, the uploaded
// files are named diffuse-<jobId>.png / .gif, and the engine stores "channel:ts:threadRoot" as
// the job's messageRef.
import type { SlackContext } from './context.ts';
import { threadMessages, type SlackMessage } from './files.ts';

/** Message metadata event type of status/result messages. */
export const JOB_EVENT_TYPE = 'diffuse_job';

const FILE_NAME = /^diffuse-([a-z0-9]{6,32})\.(png|gif)$/;

/** Metadata attached to a job's status message. */
export function jobMetadata(jobId: string): { event_type: string; event_payload: { job_id: string } } {
  return { event_type: JOB_EVENT_TYPE, event_payload: { job_id: jobId } };
}

/** File name of a job's result file. */
export function resultFileName(jobId: string, ext: 'png' | 'gif'): string {
  return `diffuse-${jobId}.${ext}`;
}

/** The engine's messageRef of a job's status message: "channel:ts:threadRoot". */
export function formatMessageRef(channel: string, ts: string, threadRoot: string): string {
  return `${channel}:${ts}:${threadRoot}`;
}

/** Parses a messageRef written by formatMessageRef (null for refs of other shapes). */
export function parseMessageRef(ref: string | undefined): { channel: string; ts: string; threadRoot: string } | null {
  const m = /^([A-Z0-9]+):(\d+\.\d+):(\d+\.\d+)$/.exec(ref ?? '');
  return m ? { channel: m[1], ts: m[2], threadRoot: m[3] } : null;
}

/** The job id a bot message stands for: its metadata, or the names of its result files. */
export function jobIdOfMessage(m: SlackMessage): string | null {
  const id = m.metadata?.event_type === JOB_EVENT_TYPE ? m.metadata.event_payload?.job_id : undefined;
  if (typeof id === 'string' && /^[a-z0-9]{6,32}$/.test(id)) return id;
  for (const f of m.files ?? []) {
    const hit = FILE_NAME.exec(f.name ?? '');
    if (hit) return hit[1];
  }
  return null;
}

/** Whether a message was posted by this bot. */
export function isOwnMessage(ctx: SlackContext, m: SlackMessage): boolean {
  return m.user === ctx.botUserId || (!!ctx.botId && m.bot_id === ctx.botId);
}

/** A job's message as found in its thread. */
export interface FoundJobMessage {
  jobId: string;
  message: SlackMessage;
  /** Every message of the thread, parent first. */
  thread: SlackMessage[];
  /** The thread's root ts (where answers go). */
  threadRoot: string;
}

/** Finds the job shown by the message `ts` in `channel` (a status message or a result file), reading the thread through conversations.replies. */
export async function findJobMessage(ctx: SlackContext, channel: string, ts: string): Promise<FoundJobMessage | null> {
  const thread = await threadMessages(ctx.client, channel, ts);
  const message = thread.find((m) => m.ts === ts);
  if (!message || !isOwnMessage(ctx, message)) return null;
  const jobId = jobIdOfMessage(message);
  if (!jobId) return null;
  return { jobId, message, thread, threadRoot: message.thread_ts ?? message.ts };
}
