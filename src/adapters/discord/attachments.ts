// Safe download of a Discord attachment: the declared size and content type are checked before
// any byte is fetched, only Discord's own attachment hosts are contacted (no redirects), the
// body is capped while it streams, and the whole download has a time limit.

/** Hosts Discord serves attachments from. */
export const DISCORD_ATTACHMENT_HOSTS: readonly string[] = ['cdn.discordapp.com', 'media.discordapp.net'];

/** Content types accepted as images. */
export const IMAGE_CONTENT_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'];

/** What the download needs to know about an attachment (discord.js Attachment has these fields). */
export interface AttachmentInfo {
  url: string;
  name: string;
  size: number;
  contentType: string | null;
}

/** Limits of attachment downloads. */
export interface AttachmentPolicy {
  /** Largest attachment in bytes. */
  maxBytes: number;
  /** Time limit of one download. */
  timeoutMs: number;
  /** Extra hosts (host or host:port) also trusted, over http or https: a local fake Discord in tests. */
  extraHosts?: readonly string[];
}

/** Defaults: 10 MiB, 15 s, Discord's hosts only. */
export const DEFAULT_ATTACHMENT_POLICY: AttachmentPolicy = { maxBytes: 10 * 1024 * 1024, timeoutMs: 15_000 };

/** A download refused or failed; `message` is written for the chat user. */
export class AttachmentError extends Error {
  override name = 'AttachmentError';
}

const EXT_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' };

function mib(n: number): string {
  return n < 1024 * 1024 ? `${Math.max(1, Math.round(n / 1024))} KiB` : `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Checks an attachment's declared size, content type and host before downloading; throws AttachmentError. */
export function checkAttachment(att: AttachmentInfo, policy: AttachmentPolicy, label = 'image'): URL {
  if (att.size > policy.maxBytes) throw new AttachmentError(`The ${label} "${att.name}" is ${mib(att.size)}; the limit is ${mib(policy.maxBytes)}.`);
  const declared = att.contentType?.split(';')[0].trim().toLowerCase() ?? null;
  const byExt = EXT_TYPES[att.name.split('.').pop()?.toLowerCase() ?? ''];
  const type = declared ?? byExt;
  if (!type || !IMAGE_CONTENT_TYPES.includes(type)) {
    throw new AttachmentError(`The ${label} "${att.name}" is not an image I can read (${declared ?? 'unknown type'}); attach a PNG, JPEG, WebP or GIF.`);
  }
  let url: URL;
  try {
    url = new URL(att.url);
  } catch {
    throw new AttachmentError(`The ${label} has no usable link; attach it again.`);
  }
  const extra = policy.extraHosts ?? [];
  const trustedExtra = extra.includes(url.host) || extra.includes(url.hostname);
  const discordHost = url.protocol === 'https:' && DISCORD_ATTACHMENT_HOSTS.includes(url.hostname) && (url.port === '' || url.port === '443');
  if (!discordHost && !(trustedExtra && (url.protocol === 'https:' || url.protocol === 'http:'))) {
    throw new AttachmentError(`I only fetch images uploaded to Discord; attach the ${label} as a file.`);
  }
  return url;
}

/** Downloads an attachment after checkAttachment, capped at maxBytes and timeoutMs; throws AttachmentError. */
export async function downloadAttachment(
  att: AttachmentInfo,
  policy: AttachmentPolicy = DEFAULT_ATTACHMENT_POLICY,
  fetchImpl: typeof fetch = fetch,
  label = 'image',
): Promise<Uint8Array> {
  const url = checkAttachment(att, policy, label);
  const signal = AbortSignal.timeout(policy.timeoutMs);
  let res: Response;
  try {
    res = await fetchImpl(url, { redirect: 'error', signal });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError' || signal.aborted;
    throw new AttachmentError(timedOut ? `Downloading the ${label} took too long; try a smaller file.` : `I could not download the ${label}; attach it again.`);
  }
  if (!res.ok || !res.body) throw new AttachmentError(`I could not download the ${label} (HTTP ${res.status}); attach it again.`);
  const length = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(length) && length > policy.maxBytes) {
    await res.body.cancel().catch(() => {});
    throw new AttachmentError(`The ${label} is ${mib(length)}; the limit is ${mib(policy.maxBytes)}.`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > policy.maxBytes) {
        await reader.cancel().catch(() => {});
        throw new AttachmentError(`The ${label} is larger than ${mib(policy.maxBytes)}.`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof AttachmentError) throw err;
    throw new AttachmentError(signal.aborted ? `Downloading the ${label} took too long; try a smaller file.` : `The download of the ${label} broke off; attach it again.`);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}
