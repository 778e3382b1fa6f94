// A fake Slack on 127.0.0.1 that speaks the documented wire protocols: the Web API
// (form-encoded or JSON POSTs to /api/<method>, bearer tokens, JSON answers), the external
// upload flow (files.getUploadURLExternal -> POST to upload_url -> files.completeUploadExternal),
// url_private file downloads that need the bot token, response_url webhooks, and a Socket Mode
// WebSocket (apps.connections.open hands out ws://127.0.0.1:<port>/link). It records every call.
// Strict as Slack is: blocks are checked (block-limits.ts) and replaced on chat.update; a
// slack_file shows only once its upload is complete (asynchronously, uploadDelayMs) and shared in
// that channel; `failNext` answers `ratelimited` (HTTP 429, Retry-After) or any error on demand;
// an envelope not acknowledged within ackTimeoutMs is sent again with retry_attempt/retry_reason.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { blockErrors, invalidBlocks } from './block-limits.ts';
import { METHOD_SCOPES } from './scopes.ts';

/** One recorded Web API call. */
export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  /** The token the call was made with (Authorization header or token argument). */
  token: string | undefined;
}

/** A file the fake serves. */
export interface FakeFile {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  url_private: string;
  url_private_download: string;
  user: string;
  mode: string;
  bytes: Buffer;
  /** Serve without content-length, in 1 KiB chunks. */
  chunked?: boolean;
  /** Until this time (ms) an uploaded file is still being processed: it cannot be shown. */
  readyAt?: number;
  /** Channels the file is shared in. */
  shares?: string[];
}

/** A message in a fake channel. */
export interface FakeMessage {
  type: 'message';
  ts: string;
  thread_ts?: string;
  user?: string;
  bot_id?: string;
  text: string;
  files?: FakeFile[];
  blocks?: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

/** An upload received at an upload_url. */
export interface FakeUpload {
  fileId: string;
  filename: string;
  length: number;
  bytes: Buffer | null;
  authorization: string | undefined;
}

export interface FakeSlackOptions {
  botToken: string;
  appToken?: string;
  botUserId?: string;
  botId?: string;
  teamId?: string;
}

type Handler = (args: Record<string, unknown>, token: string | undefined) => Record<string, unknown>;

const EXT_MIME: Record<string, string> = { png: 'image/png', gif: 'image/gif', jpg: 'image/jpeg', jpeg: 'image/jpeg', txt: 'text/plain' };

/** The fake Slack server. */
export class FakeSlack {
  readonly calls: ApiCall[] = [];
  readonly uploads = new Map<string, FakeUpload>();
  readonly files = new Map<string, FakeFile>();
  readonly channels = new Map<string, FakeMessage[]>();
  /** Bodies posted to response_url webhooks, in order. */
  readonly responses: { id: string; body: Record<string, unknown> }[] = [];
  /** Messages the bot sent over the Socket Mode WebSocket (acks), parsed. */
  readonly socketMessages: Record<string, unknown>[] = [];
  /** Requests to file URLs, with the Authorization header they carried. */
  readonly fileRequests: { path: string; authorization: string | undefined }[] = [];
  /** Ephemeral messages Slack accepted (only `user` sees them). */
  readonly ephemerals: { channel: string; user: string; text: string; blocks?: unknown[] }[] = [];
  /** Every envelope sent over Socket Mode, redeliveries included. */
  readonly envelopes: Record<string, unknown>[] = [];
  /** How long an uploaded file stays in processing after files.completeUploadExternal. */
  uploadDelayMs = 30;
  /** An envelope not acknowledged within this time is delivered again (Slack: 3 s; at most 3 retries). */
  ackTimeoutMs = 3000;
  /** The bot token's scopes (null = every scope): a method whose scope is missing answers `missing_scope`. */
  grantedScopes: readonly string[] | null = null;
  /** The scopes calls were refused for (`missing_scope`), in order. */
  readonly missingScopes: string[] = [];
  private failures: { method: string; error: string; left: number; retryAfterS: number; when?: (args: Record<string, unknown>) => boolean }[] = [];
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  private server: Server;
  private wss: WebSocketServer;
  private sockets = new Set<WebSocket>();
  private seq = 0;
  private clock = 1_700_000_000;
  private handlers: Record<string, Handler>;
  private port = 0;

  constructor(private readonly options: FakeSlackOptions) {
    this.botUserId = options.botUserId ?? 'UBOT0001';
    this.botId = options.botId ?? 'BBOT0001';
    this.teamId = options.teamId ?? 'T0000001';
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/link')) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.add(ws);
        ws.on('close', () => this.sockets.delete(ws));
        ws.on('message', (data) => {
          try {
            this.socketMessages.push(JSON.parse(String(data)) as Record<string, unknown>);
          } catch {
            // not JSON: ignore
          }
        });
        ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake' }, connection_info: { app_id: 'A0000001' } }));
      });
    });
    this.handlers = this.buildHandlers();
  }

  /** Base URL, e.g. http://127.0.0.1:1234 */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The Web API base URL to give the client (SLACK_API_URL). */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** "127.0.0.1:port", the host the adapter must be told to accept for url_private. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Calls of one method, in order. */
  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** A new message ts (increasing). */
  nextTs(): string {
    this.seq++;
    return `${this.clock + this.seq}.${String(this.seq).padStart(6, '0')}`;
  }

  /** Registers a file the fake serves at its url_private (bytes served may differ from the declared size). */
  addFile(opts: { name: string; bytes: Buffer; mimetype?: string; size?: number; user?: string; chunked?: boolean }): FakeFile {
    const id = `F${String(++this.seq).padStart(9, '0')}`;
    const ext = opts.name.split('.').pop()?.toLowerCase() ?? '';
    const url = `${this.url}/files-pri/${this.teamId}-${id}/${encodeURIComponent(opts.name)}`;
    const file: FakeFile = {
      id,
      name: opts.name,
      title: opts.name,
      mimetype: opts.mimetype ?? EXT_MIME[ext] ?? 'application/octet-stream',
      filetype: ext,
      size: opts.size ?? opts.bytes.length,
      url_private: url,
      url_private_download: `${url}?download=1`,
      user: opts.user ?? 'UUSER001',
      mode: 'hosted',
      bytes: opts.bytes,
      ...(opts.chunked ? { chunked: true } : {}),
    };
    this.files.set(id, file);
    return file;
  }

  /** Adds a message by a user (e.g. a posted image) to a channel; returns it. */
  addUserMessage(channel: string, msg: { user: string; text?: string; files?: FakeFile[]; thread_ts?: string }): FakeMessage {
    const m: FakeMessage = { type: 'message', ts: this.nextTs(), user: msg.user, text: msg.text ?? '', ...(msg.files ? { files: msg.files } : {}), ...(msg.thread_ts ? { thread_ts: msg.thread_ts } : {}) };
    this.messagesOf(channel).push(m);
    return m;
  }

  /** The messages of a channel (thread replies included). */
  messagesOf(channel: string): FakeMessage[] {
    let list = this.channels.get(channel);
    if (!list) this.channels.set(channel, (list = []));
    return list;
  }

  /** A message by ts. */
  message(channel: string, ts: string): FakeMessage | undefined {
    return this.messagesOf(channel).find((m) => m.ts === ts);
  }

  /** A response_url the fake records posts to. */
  responseUrl(id: string): string {
    return `${this.url}/respond/${id}`;
  }

  /** The next `count` calls of `method` (those `when` accepts) fail with `error` ('ratelimited': HTTP 429 with Retry-After `retryAfterS`). */
  failNext(method: string, error: string, count = 1, retryAfterS = 1, when?: (args: Record<string, unknown>) => boolean): void {
    this.failures.push({ method, error, left: count, retryAfterS, when });
  }

  /** Sends a Socket Mode envelope to every connected client; an envelope with an id is sent again until acknowledged. */
  sendEnvelope(envelope: Record<string, unknown>, attempt = 0): void {
    const sent = attempt === 0 ? envelope : { ...envelope, retry_attempt: attempt, retry_reason: 'timeout' };
    this.envelopes.push(sent);
    for (const ws of this.sockets) ws.send(JSON.stringify(sent));
    const id = envelope.envelope_id;
    if (typeof id !== 'string' || attempt >= 3) return;
    const timer = setTimeout(() => {
      if (!this.socketMessages.some((m) => m.envelope_id === id)) this.sendEnvelope(envelope, attempt + 1);
    }, this.ackTimeoutMs);
    timer.unref();
  }

  /** Number of open Socket Mode connections. */
  get socketCount(): number {
    return this.sockets.size;
  }

  /** Polls `pred` until it returns a truthy value (or throws after `timeoutMs`). */
  async waitFor<T>(pred: () => T | undefined | null | false, timeoutMs = 30_000, what = 'condition'): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = pred();
      if (v) return v;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // ---- HTTP ---------------------------------------------------------------------------------

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const body = await readBody(req);
    const auth = req.headers.authorization;
    if (url.pathname.startsWith('/api/')) return this.api(url.pathname.slice(5), req, body, res);
    if (url.pathname.startsWith('/upload/')) return this.upload(url.pathname.slice(8), req, body, res);
    if (url.pathname.startsWith('/files-pri/')) return this.serveFile(url.pathname, auth, res);
    if (url.pathname.startsWith('/respond/')) {
      this.responses.push({ id: url.pathname.slice(9), body: JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown> });
      res.setHeader('content-type', 'text/plain');
      res.end('ok');
      return;
    }
    res.statusCode = 404;
    res.end('not found');
  }

  private api(method: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const args = parseArgs(req.headers['content-type'] ?? '', body);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer ?? (typeof args.token === 'string' ? args.token : undefined);
    delete args.token;
    this.calls.push({ method, args, token });
    res.setHeader('content-type', 'application/json; charset=utf-8');
    const wanted = method === 'apps.connections.open' ? this.options.appToken : this.options.botToken;
    if (!token || token !== wanted) {
      res.end(JSON.stringify({ ok: false, error: 'invalid_auth' }));
      return;
    }
    const scope = METHOD_SCOPES[method];
    const needed = typeof scope === 'function' ? scope(args) : scope;
    if (this.grantedScopes && needed && method !== 'apps.connections.open' && !this.grantedScopes.includes(needed)) {
      this.missingScopes.push(needed);
      res.end(JSON.stringify({ ok: false, error: 'missing_scope', needed, provided: this.grantedScopes.join(',') }));
      return;
    }
    const failure = this.failures.find((f) => f.left > 0 && f.method === method && (!f.when || f.when(args)));
    if (failure) {
      failure.left--;
      if (failure.error === 'ratelimited') {
        res.statusCode = 429;
        res.setHeader('retry-after', String(failure.retryAfterS));
      }
      res.end(JSON.stringify(failure.error === 'invalid_blocks' ? invalidBlocks(['injected by the test [json-pointer:/blocks]']) : { ok: false, error: failure.error }));
      return;
    }
    const refused = args.blocks !== undefined ? blockErrors(json(args.blocks), (ref) => this.fileRefusal(ref, String(args.channel ?? ''))) : [];
    if (refused.length > 0) {
      res.end(JSON.stringify(invalidBlocks(refused)));
      return;
    }
    const handler = this.handlers[method];
    if (!handler) {
      res.end(JSON.stringify({ ok: false, error: 'unknown_method' }));
      return;
    }
    res.end(JSON.stringify(handler(args, token)));
  }

  private upload(fileId: string, req: IncomingMessage, body: Buffer, res: ServerResponse): void {
    const up = this.uploads.get(fileId);
    if (!up) {
      res.statusCode = 404;
      res.end('unknown upload');
      return;
    }
    const type = req.headers['content-type'] ?? '';
    up.bytes = type.startsWith('multipart/form-data') ? (firstFilePart(type, body) ?? body) : body;
    up.authorization = req.headers.authorization;
    res.setHeader('content-type', 'text/plain');
    res.end(`OK - ${up.bytes.length}`);
  }

  private serveFile(pathname: string, auth: string | undefined, res: ServerResponse): void {
    this.fileRequests.push({ path: pathname, authorization: auth });
    if (this.grantedScopes && !this.grantedScopes.includes('files:read')) {
      this.missingScopes.push('files:read');
      res.statusCode = 403;
      res.end('missing_scope');
      return;
    }
    const id = /^\/files-pri\/[A-Z0-9]+-([A-Z0-9]+)\//.exec(pathname)?.[1];
    const file = id ? this.files.get(id) : undefined;
    if (auth !== `Bearer ${this.options.botToken}`) {
      // Slack answers an unauthenticated url_private with its login page.
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end('<!DOCTYPE html><html><body>Sign in to Slack</body></html>');
      return;
    }
    if (!file) {
      res.statusCode = 404;
      res.end('file not found');
      return;
    }
    res.setHeader('content-type', file.mimetype);
    if (file.chunked) {
      for (let i = 0; i < file.bytes.length; i += 1024) res.write(file.bytes.subarray(i, i + 1024));
      res.end();
      return;
    }
    res.end(file.bytes);
  }

  /** Why a slack_file cannot be shown in `channel` (unknown, still processing, or not shared there), or null. */
  private fileRefusal(ref: { id?: string; url?: string }, channel: string): string | null {
    const file = ref.id ? this.files.get(ref.id) : [...this.files.values()].find((f) => f.url_private === ref.url);
    if (!file || (file.readyAt ?? 0) > Date.now() || !(file.shares ?? [channel]).includes(channel)) return 'invalid slack file';
    return null;
  }

  // ---- Web API methods ----------------------------------------------------------------------

  private botMessage(channel: string, args: Record<string, unknown>, files?: FakeFile[]): FakeMessage {
    const m: FakeMessage = {
      type: 'message',
      ts: this.nextTs(),
      user: this.botUserId,
      bot_id: this.botId,
      text: typeof args.text === 'string' ? args.text : '',
      ...(typeof args.thread_ts === 'string' && args.thread_ts ? { thread_ts: args.thread_ts } : {}),
      ...(files ? { files } : {}),
    };
    const blocks = json(args.blocks);
    if (Array.isArray(blocks)) m.blocks = blocks;
    const meta = json(args.metadata);
    if (meta && typeof meta === 'object') m.metadata = meta as FakeMessage['metadata'];
    this.messagesOf(channel).push(m);
    return m;
  }

  private publicFile(f: FakeFile): Omit<FakeFile, 'bytes'> {
    const { bytes: _bytes, chunked: _chunked, readyAt: _readyAt, shares: _shares, ...rest } = f;
    return rest;
  }

  private publicMessage(m: FakeMessage, withMetadata: boolean): Record<string, unknown> {
    const { files, metadata, ...rest } = m;
    return { ...rest, ...(files ? { files: files.map((f) => this.publicFile(f)) } : {}), ...(withMetadata && metadata ? { metadata } : {}) };
  }

  private buildHandlers(): Record<string, Handler> {
    return {
      'auth.test': () => ({ ok: true, url: 'https://fake.slack.com/', team: 'Fake', user: 'diffuse', team_id: this.teamId, user_id: this.botUserId, bot_id: this.botId }),
      'apps.connections.open': () => ({ ok: true, url: `ws://127.0.0.1:${this.port}/link?ticket=t${this.seq}` }),
      'chat.postMessage': (a) => {
        const channel = String(a.channel ?? '');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (channel.startsWith('CNOTIN')) return { ok: false, error: 'not_in_channel' };
        const m = this.botMessage(channel, a);
        return { ok: true, channel, ts: m.ts, message: this.publicMessage(m, false) };
      },
      'chat.update': (a) => {
        const m = this.message(String(a.channel), String(a.ts));
        if (!m) return { ok: false, error: 'message_not_found' };
        if (typeof a.text === 'string') m.text = a.text;
        // Blocks given replace the message's blocks; left out, the message keeps its own.
        const blocks = json(a.blocks);
        if (Array.isArray(blocks)) m.blocks = blocks;
        return { ok: true, channel: a.channel, ts: m.ts, text: m.text };
      },
      'chat.delete': (a) => {
        const list = this.messagesOf(String(a.channel));
        const i = list.findIndex((m) => m.ts === String(a.ts));
        if (i < 0) return { ok: false, error: 'message_not_found' };
        list.splice(i, 1);
        return { ok: true, channel: a.channel, ts: a.ts };
      },
      'chat.postEphemeral': (a) => {
        const channel = String(a.channel ?? '');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (channel.startsWith('CNOTIN')) return { ok: false, error: 'not_in_channel' };
        if (typeof a.user !== 'string' || !a.user) return { ok: false, error: 'user_not_in_channel' };
        const blocks = json(a.blocks);
        this.ephemerals.push({ channel, user: a.user, text: String(a.text ?? ''), ...(Array.isArray(blocks) ? { blocks } : {}) });
        return { ok: true, message_ts: this.nextTs() };
      },
      'conversations.open': (a) => {
        const users = String(a.users ?? '');
        if (!/^U[A-Z0-9]+$/.test(users)) return { ok: false, error: 'user_not_found' };
        return { ok: true, channel: { id: `D${users.slice(1)}` } };
      },
      'conversations.replies': (a) => {
        const channel = String(a.channel);
        const target = this.message(channel, String(a.ts));
        if (!target) return { ok: false, error: 'thread_not_found' };
        const root = target.thread_ts ?? target.ts;
        const all = this.messagesOf(channel);
        const parent = all.find((m) => m.ts === root);
        const replies = all.filter((m) => m.thread_ts === root && m.ts !== root).sort((x, y) => Number(x.ts) - Number(y.ts));
        const withMeta = a.include_all_metadata === true || a.include_all_metadata === 'true';
        const messages = [...(parent ? [parent] : []), ...replies].map((m) => this.publicMessage(m, withMeta));
        return { ok: true, messages, has_more: false, response_metadata: { next_cursor: '' } };
      },
      'files.info': (a) => {
        const f = this.files.get(String(a.file));
        return f ? { ok: true, file: this.publicFile(f) } : { ok: false, error: 'file_not_found' };
      },
      'files.getUploadURLExternal': (a) => {
        const fileId = `F${String(++this.seq).padStart(9, '0')}`;
        this.uploads.set(fileId, { fileId, filename: String(a.filename), length: Number(a.length), bytes: null, authorization: undefined });
        return { ok: true, upload_url: `${this.url}/upload/${fileId}`, file_id: fileId };
      },
      'files.completeUploadExternal': (a) => {
        const list = json(a.files) as { id: string; title?: string }[] | undefined;
        if (!Array.isArray(list) || list.length === 0) return { ok: false, error: 'invalid_arguments' };
        const done: FakeFile[] = [];
        for (const entry of list) {
          const up = this.uploads.get(entry.id);
          if (!up || !up.bytes) return { ok: false, error: 'file_not_found' };
          const f = this.addFile({ name: up.filename, bytes: up.bytes, user: this.botUserId });
          this.files.delete(f.id);
          const file: FakeFile = {
            ...f,
            id: up.fileId,
            title: entry.title ?? up.filename,
            url_private: f.url_private.replace(f.id, up.fileId),
            url_private_download: f.url_private_download.replace(f.id, up.fileId),
            readyAt: Date.now() + this.uploadDelayMs,
            shares: [],
          };
          this.files.set(file.id, file);
          done.push(file);
        }
        // As in Slack, the files are processed and shared after the call returns.
        const channel = typeof a.channel_id === 'string' ? a.channel_id : undefined;
        const share = () => {
          if (!channel) return;
          for (const f of done) f.shares!.push(channel);
          this.botMessage(channel, { text: a.initial_comment ?? '', thread_ts: a.thread_ts }, done);
        };
        if (this.uploadDelayMs > 0) setTimeout(share, this.uploadDelayMs).unref();
        else share();
        return { ok: true, files: done.map((f) => ({ id: f.id, title: f.title })) };
      },
      'files.delete': (a) => {
        const id = String(a.file);
        if (!this.files.delete(id)) return { ok: false, error: 'file_not_found' };
        for (const list of this.channels.values()) for (const m of list) if (m.files) m.files = m.files.filter((f) => f.id !== id);
        return { ok: true };
      },
      'views.open': (a) => ({ ok: true, view: { id: 'V0000001', ...((json(a.view) as object) ?? {}) } }),
    };
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

function parseArgs(contentType: string, body: Buffer): Record<string, unknown> {
  if (contentType.startsWith('application/json')) return (JSON.parse(body.toString('utf8') || '{}') as Record<string, unknown>) ?? {};
  if (contentType.startsWith('multipart/form-data')) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(body.toString('utf8'))) out[k] = v;
  return out;
}

/** The content of the first part with a filename in a multipart/form-data body. */
function firstFilePart(contentType: string, body: Buffer): Buffer | null {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!boundary) return null;
  const delim = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  let start = body.indexOf(delim);
  while (start >= 0) {
    const headerStart = start + delim.length + 2;
    const headerEnd = body.indexOf('\r\n\r\n', headerStart);
    if (headerEnd < 0) return null;
    const next = body.indexOf(delim, headerEnd);
    if (next < 0) return null;
    const headers = body.subarray(headerStart, headerEnd).toString('utf8');
    if (/filename=/.test(headers)) return body.subarray(headerEnd + 4, next - 2);
    start = next;
  }
  return null;
}
