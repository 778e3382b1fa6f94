// Downloads of files users posted on Slack. The bot token goes only to Slack's own file hosts
// over https (plus hosts a test names explicitly); the declared size is checked before the
// download and the bytes are counted while streaming; the whole download has a time limit.
import { ACCEPTED_FORMATS_TEXT } from '../../imaging/index.ts';
import type { SlackFile } from './files.ts';

/** Hosts that serve url_private / url_private_download (commercial Slack and GovSlack). */
export const SLACK_FILE_HOSTS: readonly string[] = [
  'files.slack.com',
  'files-origin.slack.com',
  'files-edge.slack.com',
  'files-pri.slack.com',
  'files.slack-gov.com',
  'files-origin.slack-gov.com',
];

/** Limits of one download. */
export interface DownloadLimits {
  /** Largest file, in bytes. */
  maxBytes: number;
  /** Time limit of the whole download (headers and body), in ms. */
  timeoutMs: number;
  /** Extra "host:port" origins allowed over plain http (local fakes in tests only). */
  extraHosts?: readonly string[];
}

/** A download refused or failed; `message` is written for the chat user. */
export class DownloadError extends Error {
  override name = 'DownloadError';
}

const MAX_REDIRECTS = 3;

/** Whether `url` may be fetched with the bot token: https on one of Slack's file hosts, or an explicitly allowed extra host. */
export function isSlackFileUrl(url: string, extraHosts: readonly string[] = []): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.username || u.password) return false;
  if (u.protocol === 'https:' && (u.port === '' || u.port === '443') && SLACK_FILE_HOSTS.includes(u.hostname.toLowerCase())) return true;
  return (u.protocol === 'http:' || u.protocol === 'https:') && extraHosts.includes(u.host.toLowerCase());
}

function mib(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Fetches a Slack file with the bot token as Authorization, within the host allowlist and the size and time limits. */
export async function downloadSlackFile(file: SlackFile, token: string, limits: DownloadLimits): Promise<Buffer> {
  const name = file.name ?? file.title ?? 'that file';
  if (typeof file.size === 'number' && file.size > limits.maxBytes) {
    throw new DownloadError(`${name} is ${mib(file.size)}; the limit is ${mib(limits.maxBytes)}. Post a smaller image.`);
  }
  const start = file.url_private_download ?? file.url_private;
  if (!start) throw new DownloadError(`Slack did not give me a link to ${name}; post it again as a file.`);
  if (!isSlackFileUrl(start, limits.extraHosts)) throw new DownloadError(`${name} is not hosted by Slack, so I won't fetch it.`);

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), limits.timeoutMs);
  try {
    let url = start;
    let res: Response | null = null;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      res = await fetch(url, { headers: { Authorization: `Bearer ${token}` }, redirect: 'manual', signal: controller.signal });
      if (res.status < 300 || res.status >= 400) break;
      const next = res.headers.get('location');
      await res.body?.cancel();
      if (!next) throw new DownloadError(`Slack sent an empty redirect for ${name}.`);
      url = new URL(next, url).toString();
      if (!isSlackFileUrl(url, limits.extraHosts)) throw new DownloadError(`Slack redirected ${name} away from its file hosts; I won't follow that.`);
      res = null;
    }
    if (!res) throw new DownloadError(`Too many redirects while fetching ${name}.`);
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new DownloadError(`Slack answered ${res.status} when I fetched ${name}; post it again.`);
    }
    const type = (res.headers.get('content-type') ?? '').toLowerCase();
    if (type.startsWith('text/html')) {
      await res.body?.cancel();
      throw new DownloadError(`Slack gave me a login page instead of ${name} (the app needs the files:read scope).`);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      await res.body?.cancel();
      throw new DownloadError(`${name} is ${mib(declared)}; the limit is ${mib(limits.maxBytes)}. Post a smaller image.`);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > limits.maxBytes) {
          await reader.cancel();
          throw new DownloadError(`${name} is larger than the limit of ${mib(limits.maxBytes)}. Post a smaller image.`);
        }
        chunks.push(value);
      }
    }
    if (total === 0) throw new DownloadError(`${name} is empty. Post a ${ACCEPTED_FORMATS_TEXT} image.`);
    return Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof DownloadError) throw err;
    if (controller.signal.aborted) throw new DownloadError(`Fetching ${name} took longer than ${Math.round(limits.timeoutMs / 1000)} s; try again.`);
    throw new DownloadError(`I could not fetch ${name} from Slack; try again.`);
  } finally {
    clearTimeout(timer);
  }
}
