// Files in Slack messages: which ones are images, and which image of a thread is the input
// ("the most recent image in the thread").
import type { webApi } from '@slack/bolt';

/** The fields of a Slack file object the adapter reads. */
export interface SlackFile {
  id: string;
  name?: string;
  title?: string;
  mimetype?: string;
  filetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
  /** 'hosted' | 'external' | 'snippet' | 'tombstone' | 'hidden_by_limit' ... */
  mode?: string;
  /** 'check_file_info' when an event carries only a stub of the file. */
  file_access?: string;
}

/** The fields of a Slack message the adapter reads. */
export interface SlackMessage {
  ts: string;
  thread_ts?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  files?: SlackFile[];
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

const IMAGE_FILETYPES = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'tiff', 'tif', 'bmp', 'heic', 'heif', 'svg']);

/** Whether a file is an image by its mimetype or Slack filetype (the decoder still checks the bytes). */
export function isImageFile(f: SlackFile): boolean {
  if (f.mimetype && f.mimetype.toLowerCase().startsWith('image/')) return true;
  return !f.mimetype && !!f.filetype && IMAGE_FILETYPES.has(f.filetype.toLowerCase());
}

/** Whether a file can still be read (not deleted, hidden by plan limits or hosted elsewhere). */
export function isReadable(f: SlackFile): boolean {
  return f.mode !== 'tombstone' && f.mode !== 'hidden_by_limit' && f.mode !== 'external';
}

/** The newest image among `messages` (the last image of the newest message with one), and the newest non-image file seen after it. */
export function latestImage(messages: readonly SlackMessage[]): { image?: SlackFile; message?: SlackMessage; other?: SlackFile } {
  const sorted = [...messages].sort((a, b) => Number(b.ts) - Number(a.ts));
  let other: SlackFile | undefined;
  for (const m of sorted) {
    const files = (m.files ?? []).filter(isReadable);
    for (let i = files.length - 1; i >= 0; i--) {
      if (isImageFile(files[i])) return { image: files[i], message: m, other };
      other ??= files[i];
    }
  }
  return { other };
}

/** A short description of a file for replies: its name and type. */
export function describeFile(f: SlackFile): string {
  const name = f.name ?? f.title ?? 'a file';
  const type = f.mimetype ?? f.filetype;
  return type ? `${name} (${type})` : name;
}

/** The full file object (with url_private and size): events may carry only a stub. */
export async function resolveFile(client: webApi.WebClient, f: SlackFile): Promise<SlackFile> {
  if (f.url_private && f.file_access !== 'check_file_info' && typeof f.size === 'number') return f;
  const res = await client.files.info({ file: f.id });
  return (res.file as SlackFile | undefined) ?? f;
}

/** Every message of a thread (parent first), following pagination up to `maxPages`. */
export async function threadMessages(client: webApi.WebClient, channel: string, ts: string, maxPages = 5): Promise<SlackMessage[]> {
  const out: SlackMessage[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const res = await client.conversations.replies({ channel, ts, limit: 200, include_all_metadata: true, ...(cursor ? { cursor } : {}) });
    out.push(...((res.messages ?? []) as SlackMessage[]));
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!cursor || !res.has_more) break;
  }
  return out;
}
