// A check in front of Bolt's HTTPReceiver (HTTP mode), which would otherwise buffer a body of any
// size before looking at its signature. Per request to the events endpoint, before Bolt sees it:
// the declared and the received body size are capped (413, and the connection is closed without
// reading the rest); the signature headers must be present and the timestamp within 5 minutes of
// now in either direction (401 before the body is read); the v0 HMAC-SHA256 signature of
// "v0:<timestamp>:<body>" is checked; and a signed request that was already seen (same timestamp
// and signature) is answered 200 with an empty body once more, never dispatched twice.
// The verified body is handed to Bolt as `rawBody`, so Bolt neither reads the stream again nor
// waits for it; Bolt's own verification then runs on the same bytes.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/** Settings of the guard. */
export interface HttpGuardOptions {
  signingSecret: string;
  /** Paths of the events endpoint(s); other requests go to Bolt unchanged. */
  endpoints: string[];
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Largest difference between the request timestamp and now, either way, in seconds (Slack: 5 minutes). */
  windowSeconds: number;
  /** Time limit for receiving the body, in ms. */
  bodyTimeoutMs: number;
  /** The clock, in ms (tests). */
  now?: () => number;
  /** Called for each refused or replayed request (status and reason; never a secret). */
  onRefuse?: (status: number, reason: string) => void;
}

/** Default largest request body: Slack's payloads (slash commands, events, modal submissions) are far smaller. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Largest unsigned body read, to let Slack's `ssl_check=1` probe through. */
const SSL_CHECK_MAX_BYTES = 4096;
const SIGNATURE = /^v0=[0-9a-f]{64}$/;
/** Time between a refusal that closes the connection and dropping it. */
const CLOSE_GRACE_MS = 1000;

/** Remembers signed requests for the timestamp window, to answer a replay only once. */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 100_000,
  ) {}

  /** Records `key`; false when it was already recorded within the window (a replay). */
  firstTime(key: string, nowMs: number): boolean {
    this.prune(nowMs);
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.maxEntries) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(key, nowMs + this.ttlMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(nowMs: number): void {
    // Insertion order is expiry order (same ttl for all), so stop at the first live entry.
    for (const [key, expires] of this.seen) {
      if (expires > nowMs) break;
      this.seen.delete(key);
    }
  }
}

/** Wraps Bolt's request listener with the size, timestamp, signature and replay checks described above. */
export function guardRequestListener(next: RequestListener, options: HttpGuardOptions): RequestListener {
  const now = options.now ?? Date.now;
  // A request is valid for windowSeconds either side of its timestamp: remember it for the whole span.
  const replays = new ReplayCache(2 * options.windowSeconds * 1000 + 60_000);
  const refuse = (req: IncomingMessage, res: ServerResponse, status: number, reason: string, close = false) => {
    options.onRefuse?.(status, reason);
    if (res.headersSent) return;
    if (close) res.setHeader('connection', 'close');
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${reason}\n`, () => {
      // The rest of the body is never read (the request stays paused, so TCP backpressure stops the
      // sender); the connection is dropped shortly after the answer is out, time for the client to read it.
      if (close) setTimeout(() => req.socket.destroy(), CLOSE_GRACE_MS).unref();
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && !(Number(declared) <= options.maxBodyBytes)) {
      return refuse(req, res, 413, 'request body too large', true);
    }
    const timestamp = header(req, 'x-slack-request-timestamp');
    const signature = header(req, 'x-slack-signature');
    if (timestamp === undefined || signature === undefined) {
      // Slack's SSL check comes unsigned and tiny; anything else without a signature is refused unread.
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        return refuse(req, res, 401, 'missing signature', true);
      }
      const body = await readCapped(req, SSL_CHECK_MAX_BYTES, options.bodyTimeoutMs);
      if (body.kind !== 'ok') return refuse(req, res, body.kind === 'timeout' ? 408 : 401, 'missing signature', true);
      if (new URLSearchParams(body.bytes.toString('utf8')).get('ssl_check') !== '1') return refuse(req, res, 401, 'missing signature');
      return pass(req, res, body.bytes);
    }
    const ts = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : NaN;
    if (!Number.isFinite(ts) || Math.abs(now() / 1000 - ts) > options.windowSeconds) {
      return refuse(req, res, 401, 'request timestamp outside the allowed window', true);
    }
    if (!SIGNATURE.test(signature)) return refuse(req, res, 401, 'malformed signature', true);
    const body = await readCapped(req, options.maxBodyBytes, options.bodyTimeoutMs);
    if (body.kind === 'too_large') return refuse(req, res, 413, 'request body too large', true);
    if (body.kind === 'timeout') return refuse(req, res, 408, 'request body too slow', true);
    if (body.kind === 'error') return;
    const expected = createHmac('sha256', options.signingSecret).update(`v0:${timestamp}:`).update(body.bytes).digest();
    const given = Buffer.from(signature.slice(3), 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse(req, res, 401, 'signature mismatch');
    if (!replays.firstTime(`${timestamp}:${signature}`, now())) {
      options.onRefuse?.(200, 'replayed request answered without running it again');
      res.writeHead(200);
      res.end();
      return;
    }
    return pass(req, res, body.bytes);
  };

  const pass = (req: IncomingMessage, res: ServerResponse, bytes: Buffer) => {
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = bytes;
    next(req, res);
  };

  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method?.toUpperCase() !== 'POST' || !options.endpoints.includes(path)) {
      next(req, res);
      return;
    }
    handle(req, res).catch(() => refuse(req, res, 500, 'internal error', true));
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

type ReadResult = { kind: 'ok'; bytes: Buffer } | { kind: 'too_large' } | { kind: 'timeout' } | { kind: 'error' };

/** Reads a request body up to `max` bytes; stops reading (without consuming the rest) past the cap or the time limit. */
function readCapped(req: IncomingMessage, max: number, timeoutMs: number): Promise<ReadResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (r: ReadResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (r.kind !== 'ok') req.pause();
      resolve(r);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > max) return finish({ kind: 'too_large' });
      chunks.push(c);
    };
    const onEnd = () => finish({ kind: 'ok', bytes: Buffer.concat(chunks, size) });
    const onError = () => finish({ kind: 'error' });
    const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
