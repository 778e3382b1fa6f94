// Request bodies of the JSON HTTP API: read with a byte limit, then parsed as JSON or
// multipart/form-data, with images given as files or as base64 data URLs (RFC 2397).
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.ts';

/** A parsed request body: plain fields, and image bytes by field name. */
export interface ParsedBody {
  fields: Record<string, unknown>;
  files: Record<string, Uint8Array>;
}

/** Bytes a refused body is still read (and discarded) so the client sees the 413 before the socket closes. */
const DRAIN_MAX = 64 * 1024 * 1024;

/** Whether a body is sent as multipart/form-data (every other type is read as JSON or refused). */
function isMultipart(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === 'multipart/form-data';
}

/**
 * Reads a request body for parseBody: multipart/form-data up to `limits.body` bytes, anything else
 * (JSON, or a type that parseBody refuses) up to `limits.json`, so that no JSON text big enough to
 * hold the event loop in JSON.parse is ever read or parsed (413 from Content-Length, or as soon as
 * the streamed bytes pass the limit).
 */
export function readRequestBody(req: IncomingMessage, limits: { body: number; json: number }): Promise<Buffer> {
  if (isMultipart(req.headers['content-type'])) return readBody(req, limits.body);
  const json = Math.min(limits.json, limits.body);
  const why =
    `A JSON body is limited to ${formatBytes(json)}: send images as files in a multipart/form-data ` +
    `request (up to ${formatBytes(limits.body)}).`;
  return readBody(req, json, json < limits.body ? why : undefined);
}

/** Reads the whole body, refusing with 413 once it passes `limit` bytes (Content-Length checked first). */
export function readBody(req: IncomingMessage, limit: number, message?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new HttpError(413, message ?? `The request is too large; the limit is ${formatBytes(limit)}.`, 'too_large');
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      drain(req);
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        req.off('data', onData);
        drain(req);
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve(Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
    req.on('close', () => {
      if (done) return;
      done = true;
      reject(new HttpError(400, 'The request ended before its body was complete.', 'incomplete_body'));
    });
  });
}

/** Discards the rest of a refused body (up to DRAIN_MAX, then drops the connection). */
function drain(req: IncomingMessage): void {
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DRAIN_MAX) req.socket.destroy();
  });
  req.resume();
}

/** Parses a body by its Content-Type: application/json (an object) or multipart/form-data. */
export async function parseBody(contentType: string | undefined, body: Buffer): Promise<ParsedBody> {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (body.length === 0) return { fields: {}, files: {} };
  if (type === 'application/json' || type === '' || type.endsWith('+json')) return parseJson(body);
  if (type === 'multipart/form-data') return parseMultipart(contentType!, body);
  throw new HttpError(
    415,
    'Send the request as application/json or multipart/form-data.',
    'unsupported_media_type',
  );
}

function parseJson(body: Buffer): ParsedBody {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(
      400,
      `The body is not valid JSON (${err instanceof Error ? err.message : String(err)}).`,
      'bad_json',
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, 'The body must be a JSON object.', 'bad_json');
  }
  return { fields: value as Record<string, unknown>, files: {} };
}

/** multipart/form-data (RFC 7578) through the platform's own parser (undici's Response.formData). */
async function parseMultipart(contentType: string, body: Buffer): Promise<ParsedBody> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.length), {
      headers: { 'content-type': contentType },
    }).formData();
  } catch {
    throw new HttpError(
      400,
      'The multipart body could not be read (check the boundary and the parts).',
      'bad_multipart',
    );
  }
  const fields: Record<string, unknown> = {};
  const files: Record<string, Uint8Array> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields[name] = value;
    else files[name] = new Uint8Array(await value.arrayBuffer());
  }
  return { fields, files };
}

const DATA_URL = /^data:([a-z0-9.+-]+\/[a-z0-9.+-]+)?((?:;[a-z0-9-]+=[^;,]*)*);base64,/i;

/** Whether a string is a base64 data URL (RFC 2397). */
export function isDataUrl(s: string): boolean {
  return DATA_URL.test(s.slice(0, 200));
}

/** Decodes a base64 data URL to its bytes (the declared media type is ignored: the bytes are sniffed later). */
export function decodeDataUrl(s: string, field: string): Uint8Array {
  const m = DATA_URL.exec(s.slice(0, 200));
  if (!m)
    throw new HttpError(
      400,
      `${field} must be a base64 data URL (data:image/png;base64,...).`,
      'bad_data_url',
    );
  const b64 = s.slice(m[0].length).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(b64))
    throw new HttpError(400, `${field} is not valid base64.`, 'bad_data_url');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** Bytes as "2 MiB", "300 KiB", "12 bytes". */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) {
    const m = n / (1024 * 1024);
    return `${Number.isInteger(m) ? m : m.toFixed(1)} MiB`;
  }
  if (n >= 1024) return `${Math.round(n / 1024)} KiB`;
  return `${n} bytes`;
}
