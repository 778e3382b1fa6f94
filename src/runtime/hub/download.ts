// Runs in the inference process and the CLI.
// Resumable downloads: bytes go to `<file>.part`, an interrupted transfer continues with an HTTP
// Range request from the bytes already there, and the finished file must have exactly the size
// the listing gave (else it is removed) before it is renamed into place.
import { createWriteStream, existsSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { HubError, hubGet, statusError, type HubOptions } from './client.ts';

/** Options of one download. */
export interface DownloadOptions {
  /** Called as bytes arrive: bytes of this file on disk so far, and its expected size. */
  onProgress?: (done: number, total: number) => void;
  /** Further attempts after a dropped connection, each resuming where the last stopped (default 3). */
  retries?: number;
}

function sizeOf(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

/** Start offset of a 206 answer's Content-Range (`bytes START-END/TOTAL`), or undefined. */
function rangeStart(res: Response): number | undefined {
  const m = /^bytes\s+(\d+)-/.exec(res.headers.get('content-range') ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Stream a response body to `part` (appending or truncating); stops early and throws size-mismatch past `expected`. Returns bytes written. */
async function writeBody(
  res: Response,
  part: string,
  append: boolean,
  already: number,
  expected: number,
  what: string,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  await mkdir(dirname(part), { recursive: true });
  const out = createWriteStream(part, { flags: append ? 'a' : 'w' });
  const closed = new Promise<void>((resolve, reject) => {
    out.on('close', resolve);
    out.on('error', reject);
  });
  let written = 0;
  let failure: unknown;
  try {
    if (!res.body) throw new HubError('network', `${what}: empty response`);
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (already + written + chunk.length > expected) {
        throw new HubError(
          'size-mismatch',
          `${what}: the server sent more than the ${expected} bytes the listing gives; the file was removed`,
        );
      }
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
      written += chunk.length;
      onProgress?.(already + written, expected);
    }
  } catch (err) {
    failure = err;
  } finally {
    out.end();
    await closed;
  }
  if (failure) throw failure;
  return written;
}

/**
 * Download `url` to `file` with exactly `expected` bytes: into `file.part`, resuming a `.part` left by
 * an earlier run or a dropped connection with `Range: bytes=N-`; a server that ignores the range
 * (200) restarts the file. A complete transfer of the wrong size is rejected and the part removed.
 */
export async function downloadFile(
  hub: HubOptions,
  url: string,
  file: string,
  expected: number,
  what: string,
  options: DownloadOptions = {},
): Promise<void> {
  const part = `${file}.part`;
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    let have = sizeOf(part);
    if (have > expected) {
      removeQuietly(part);
      have = 0;
    }
    if (have === expected) break;
    const res = await hubGet(hub, url, have > 0 ? { range: `bytes=${have}-` } : {});
    if (res.status === 416) {
      // The part no longer fits the file on the server: start over.
      await res.body?.cancel();
      removeQuietly(part);
      if (attempt >= retries) throw new HubError('http', `${what}: the server refused to resume (HTTP 416)`);
      continue;
    }
    if (!res.ok) throw await statusError(res, what);
    const resumed = res.status === 206 && rangeStart(res) === have;
    if (res.status === 206 && !resumed) {
      await res.body?.cancel();
      removeQuietly(part);
      if (attempt >= retries)
        throw new HubError('http', `${what}: the server answered a different range than asked`);
      continue;
    }
    const base = resumed ? have : 0;
    try {
      await writeBody(res, part, resumed, base, expected, what, options.onProgress);
    } catch (err) {
      if (err instanceof HubError && err.code === 'size-mismatch') {
        removeQuietly(part);
        throw err;
      }
      if ((err as Error).name === 'AbortError') throw err;
      // A dropped connection: keep the part and resume it.
      if (attempt >= retries) {
        throw new HubError(
          'network',
          `${what}: the download was interrupted (${(err as Error).message}); run the command again to resume it`,
          { cause: err },
        );
      }
      continue;
    }
    const got = sizeOf(part);
    if (got !== expected) {
      removeQuietly(part);
      throw new HubError(
        'size-mismatch',
        `${what}: downloaded ${got} bytes but the listing gives ${expected}; the file was removed`,
      );
    }
    break;
  }
  renameSync(part, file);
}
