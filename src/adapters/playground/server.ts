// The playground's HTTP server (node:http): the page's static files and the JSON HTTP API that
// the page itself uses (docs/api.md). Jobs run through the platform-neutral commands/ specs,
// so the playground accepts exactly what the chat adapters accept.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  COMMANDS,
  coerceOptions,
  getCommand,
  parseTextArgs,
  queuedText,
  runCommand,
  splitCommandLine,
  type Command,
  type CommandContext,
  type CommandReply,
} from '../../../commands/index.ts';
import type { Config } from '../../config.ts';
import type { Engine, JobEvent, JobOwner, JobRecord, SubmitResult } from '../../engine/api.ts';
import type { Logger } from '../../engine/logger.ts';
import type { DecodeLimits } from '../../imaging/index.ts';
import { clientAddressKey, type AddressLimit, type AddressSlot } from './address-limit.ts';
import type { Asset } from './assets.ts';
import {
  SESSION_COOKIE,
  TOKEN_COOKIE,
  cookieHeader,
  hasToken,
  hostAllowed,
  sameOrigin,
  secretEquals,
  sessionOf,
} from './auth.ts';
import { decodeDataUrl, isDataUrl, parseBody, readBody, type ParsedBody } from './body.ts';
import type { SessionHistory } from './history.ts';
import { HttpError, statusOfRefusal } from './http-error.ts';
import { storeImage } from './uploads.ts';
import { eventMessage, jobLinks, jobView, replyView, type JobView, type SseMessage } from './views.ts';

/** What the request handler needs. */
export interface ServerDeps {
  config: Config;
  engine: Engine;
  assets: Map<string, Asset>;
  history: SessionHistory;
  log: Logger;
  /** Host the server is bound to (for the Host header check). */
  host: string;
  token?: string;
  maxBodyBytes: number;
  uploadLimits: DecodeLimits;
  /** Milliseconds between SSE keep-alive comments. */
  heartbeatMs: number;
  /** Closers of the open event streams (called on stop). */
  streams: Set<() => void>;
  /** The per-user limit of requests without a session cookie, by client address. */
  addressLimit: AddressLimit;
}

const JOB_ID = '([a-z0-9]{4,32})';
const ROUTES: { method: string; re: RegExp; name: string }[] = [
  { method: 'POST', re: /^\/api\/jobs$/, name: 'submit' },
  { method: 'GET', re: new RegExp(`^/api/jobs/${JOB_ID}$`), name: 'job' },
  { method: 'DELETE', re: new RegExp(`^/api/jobs/${JOB_ID}$`), name: 'cancel' },
  { method: 'GET', re: new RegExp(`^/api/jobs/${JOB_ID}/events$`), name: 'events' },
  { method: 'GET', re: new RegExp(`^/api/jobs/${JOB_ID}/image\\.png$`), name: 'image' },
  { method: 'GET', re: new RegExp(`^/api/jobs/${JOB_ID}/raw\\.png$`), name: 'raw' },
  { method: 'GET', re: new RegExp(`^/api/jobs/${JOB_ID}/trajectory\\.gif$`), name: 'gif' },
  { method: 'POST', re: new RegExp(`^/api/jobs/${JOB_ID}/regenerate$`), name: 'regenerate' },
  { method: 'GET', re: /^\/api\/commands$/, name: 'commands' },
  { method: 'GET', re: /^\/api\/history$/, name: 'history' },
  { method: 'GET', re: /^\/api\/health$/, name: 'health' },
];

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
  "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Request context after the checks common to every route. */
interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  session: string;
  /** The request carried no valid session cookie (its jobs count against its address's limit). */
  cookieless: boolean;
  deps: ServerDeps;
}

/** Handles one request; never throws (errors become JSON answers). */
export async function handle(req: IncomingMessage, res: ServerResponse, deps: ServerDeps): Promise<void> {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  try {
    await route(req, res, deps);
  } catch (err) {
    if (err instanceof HttpError) {
      if (err.status === 413) res.setHeader('connection', 'close');
      sendJson(res, err.status, { error: err.message, code: err.code });
      return;
    }
    deps.log.error(
      { err: err instanceof Error ? err.stack : String(err), url: req.url },
      'playground request failed',
    );
    sendJson(res, 500, { error: 'Something went wrong on the server; the error is in its log.', code: 'internal' });
  }
}

async function route(req: IncomingMessage, res: ServerResponse, deps: ServerDeps): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://playground.invalid');
  const method = req.method ?? 'GET';
  if (!deps.token && !hostAllowed(req, deps.host)) {
    throw new HttpError(
      403,
      'This playground only answers to localhost, 127.0.0.1 or [::1]; to reach it under another name, set PLAYGROUND_TOKEN.',
      'bad_host',
    );
  }
  const session = sessionOf(req);
  if (session.fresh) res.appendHeader('set-cookie', cookieHeader(SESSION_COOKIE, session.id, isTls(req)));

  if (!url.pathname.startsWith('/api/')) {
    await serveStatic(req, res, url, deps);
    return;
  }
  if (method !== 'GET' && method !== 'HEAD' && !sameOrigin(req)) {
    throw new HttpError(403, 'Cross-site requests are not accepted.', 'cross_site');
  }
  if (deps.token && !hasToken(req, deps.token)) {
    res.setHeader('www-authenticate', 'Bearer realm="diffuse-bot playground"');
    throw new HttpError(
      401,
      'This playground needs its access token: open the page as /?token=<PLAYGROUND_TOKEN>, or send "Authorization: Bearer <token>".',
      'token_required',
    );
  }
  const found = ROUTES.map((r) => ({ r, m: r.re.exec(url.pathname) })).filter((x) => x.m !== null);
  if (found.length === 0)
    throw new HttpError(404, `There is no API route ${url.pathname}; see docs/api.md.`, 'no_route');
  const hit = found.find((x) => x.r.method === method || (method === 'HEAD' && x.r.method === 'GET'));
  if (!hit) {
    res.setHeader('allow', found.map((x) => x.r.method).join(', '));
    throw new HttpError(405, `${method} is not allowed on ${url.pathname}.`, 'method_not_allowed');
  }
  const ctx: Ctx = { req, res, url, session: session.id, cookieless: session.fresh, deps };
  const id = hit.m![1];
  switch (hit.r.name) {
    case 'submit':
      return submit(ctx);
    case 'job':
      return getJob(ctx, id);
    case 'cancel':
      return cancel(ctx, id);
    case 'events':
      return events(ctx, id);
    case 'image':
      return sendResultFile(ctx, id, 'png');
    case 'raw':
      return sendResultFile(ctx, id, 'rawPng');
    case 'gif':
      return sendResultFile(ctx, id, 'gif');
    case 'regenerate':
      return regenerate(ctx, id);
    case 'commands':
      return sendJson(res, 200, { prefix: '/', commands: COMMANDS.map((c) => c.spec) }, 'no-cache');
    case 'history':
      return history(ctx);
    case 'health':
      return sendJson(res, 200, deps.engine.health());
  }
}

function isTls(req: IncomingMessage): boolean {
  return req.headers['x-forwarded-proto'] === 'https';
}

// ---- static page ------------------------------------------------------------------------

async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  deps: ServerDeps,
): Promise<void> {
  const method = req.method ?? 'GET';
  const token = url.searchParams.get('token');
  if (url.pathname === '/' && token !== null) {
    if (deps.token && secretEquals(token, deps.token)) {
      res.appendHeader('set-cookie', cookieHeader(TOKEN_COOKIE, token, isTls(req)));
      res.writeHead(303, { location: '/', 'cache-control': 'no-store' }).end();
      return;
    }
    // A wrong token: the page loads and shows the API's 401 message.
  }
  const path = url.pathname === '/index.html' ? '/' : url.pathname;
  const a = deps.assets.get(path);
  if (!a) throw new HttpError(404, `Nothing at ${url.pathname}.`, 'not_found');
  if (method !== 'GET' && method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    throw new HttpError(405, `${method} is not allowed here.`, 'method_not_allowed');
  }
  const headers: Record<string, string> = {
    'content-type': a.type,
    etag: a.etag,
    'cache-control': 'no-cache',
    vary: 'accept-encoding',
  };
  if (path === '/') headers['content-security-policy'] = CSP;
  if (req.headers['if-none-match'] === a.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? a.gzip : a.body;
  if (gzip) headers['content-encoding'] = 'gzip';
  headers['content-length'] = String(body.length);
  res.writeHead(200, headers);
  res.end(method === 'HEAD' ? undefined : body);
}

// ---- jobs ---------------------------------------------------------------------------------

function ownerOf(session: string): JobOwner {
  return { platform: 'playground', userId: session, channelRef: session };
}

/** POST /api/jobs: a command by name with options, or a text command line; images as files or data URLs. */
async function submit(ctx: Ctx): Promise<void> {
  const { deps } = ctx;
  const body = await parseBody(ctx.req.headers['content-type'], await readBody(ctx.req, deps.maxBodyBytes));
  const { command, options, images } = resolveCommand(body);
  const slot = command.spec.technique ? await addressSlot(ctx) : null;
  try {
    // The queue and per-user limits come before any image is decoded.
    const refused = command.spec.technique ? deps.engine.checkAdmission(ownerOf(ctx.session)) : null;
    if (refused) throw new HttpError(statusOfRefusal(refused.code), refused.message, refused.code);
    for (const [name, ref] of Object.entries(images)) {
      options[name] =
        typeof ref === 'string' ? ref : await storeImage(deps.engine, ref, name, deps.uploadLimits);
    }
    const reply = await runCommand(command, commandContext(ctx, options));
    if (reply.kind === 'job') slot?.keep(reply.jobId);
    sendReply(ctx, reply);
  } finally {
    slot?.release();
  }
}

/** A place under the address limit for a cookie-less request (429 user_limit when its address has none left); null with a cookie. */
async function addressSlot(ctx: Ctx): Promise<AddressSlot | null> {
  if (!ctx.cookieless) return null;
  const slot = await ctx.deps.addressLimit.acquire(clientAddressKey(ctx.req));
  if (slot) return slot;
  const n = ctx.deps.config.userMaxPending;
  throw new HttpError(
    429,
    `Your address already has ${n} job${n === 1 ? '' : 's'} waiting or running from requests without a session cookie; wait for one to finish, or send the diffuse_session cookie back.`,
    'user_limit',
  );
}

function commandContext(ctx: Ctx, options: CommandContext['options']): CommandContext {
  const { deps } = ctx;
  return {
    engine: deps.engine,
    owner: ownerOf(ctx.session),
    actor: { userId: ctx.session, isAdmin: false, platform: 'playground' },
    options,
    modelsDir: deps.config.modelsDir,
    defaultModel: deps.config.model,
    commandPrefix: '/',
    logger: deps.log,
  };
}

/** Answers a command reply: 202 for a queued job, 4xx for a refusal, 200 for text replies. */
function sendReply(ctx: Ctx, reply: CommandReply): void {
  if (reply.kind === 'job') {
    ctx.deps.history.add(ctx.session, reply.jobId);
    void ctx.deps.engine.setMessageRef(reply.jobId, `playground:${reply.jobId}`).catch(() => undefined);
    sendJson(ctx.res, 202, {
      jobId: reply.jobId,
      position: reply.position,
      estimatedWaitMs: reply.estimatedWaitMs,
      spec: reply.spec,
      text: reply.text,
      links: jobLinks(reply.jobId, false, false),
    });
    return;
  }
  if (reply.kind === 'refusal') {
    // A command's own refusal (e.g. /cancel with nothing to cancel) may come without an engine code.
    sendJson(ctx.res, statusOfRefusal(reply.code), { error: reply.message, code: reply.code ?? 'refused' });
    return;
  }
  sendJson(ctx.res, 200, { reply: replyView(reply, ctx.session) });
}

const IMAGE_REF = /^[0-9a-f]{64}$/;

/** The command, its checked options (images left out) and the images to store, from a parsed body. */
function resolveCommand(body: ParsedBody): {
  command: Command;
  options: Record<string, string | number | boolean>;
  images: Record<string, Uint8Array | string>;
} {
  const { fields, files } = body;
  const text = fields.text;
  const name = fields.command;
  let command: Command | undefined;
  let raw: Record<string, unknown>;
  if (typeof text === 'string' && text.trim() !== '') {
    const split = splitCommandLine(text);
    if (!split) throw new HttpError(400, 'Start with a command, e.g. /imagine a rocket ship.', 'bad_command');
    command = lookup(split.name);
    const parsed = parseTextArgs(split.rest, command.spec);
    if (!parsed.ok) throw new HttpError(400, parsed.error, 'bad_options');
    raw = { ...parsed.options };
    const extra = fields.options;
    if (extra !== undefined) raw = { ...optionsObject(extra), ...raw };
  } else if (typeof name === 'string' && name.trim() !== '') {
    command = lookup(name);
    if (fields.options !== undefined) raw = optionsObject(fields.options);
    else {
      raw = {};
      for (const [k, v] of Object.entries(fields)) if (k !== 'command') raw[k] = v;
    }
  } else {
    throw new HttpError(
      400,
      'Say which command to run: { "command": "imagine", "options": { "prompt": "a rocket ship" } } or { "text": "/imagine a rocket ship" }.',
      'bad_command',
    );
  }

  // Images: a file part, or a data URL / stored reference among the options, by option name.
  const imageOptions = command.spec.options.filter((o) => o.type === 'image');
  const images: Record<string, Uint8Array | string> = {};
  const looseFiles = Object.keys(files).filter((k) => !imageOptions.some((o) => o.name === k));
  for (const o of imageOptions) {
    const v = raw[o.name];
    delete raw[o.name];
    if (files[o.name]) images[o.name] = files[o.name];
    else if (typeof v === 'string' && IMAGE_REF.test(v)) images[o.name] = v;
    else if (typeof v === 'string' && isDataUrl(v)) images[o.name] = decodeDataUrl(v, o.name);
    else if (v !== undefined && v !== null && v !== '') {
      throw new HttpError(
        400,
        `${o.name} must be an image: a multipart file, a base64 data URL or a stored image reference.`,
        'bad_options',
      );
    }
  }
  // A single file under another name ("file", "attachment") fills the first empty image option.
  for (const k of looseFiles) {
    const slot = imageOptions.find((o) => images[o.name] === undefined);
    if (!slot) {
      throw new HttpError(
        400,
        imageOptions.length === 0
          ? `/${command.spec.name} takes no image.`
          : `/${command.spec.name} has no image option "${k}".`,
        'bad_options',
      );
    }
    images[slot.name] = files[k];
  }
  const coerced = coerceOptions(command.spec, raw);
  if (!coerced.ok) throw new HttpError(400, coerced.error, 'bad_options');
  const missing = coerced.missingImages.filter((n) => images[n] === undefined);
  if (missing.length > 0) {
    throw new HttpError(
      400,
      `/${command.spec.name} needs ${missing.map((n) => `an ${n}`).join(' and ')}: attach one.`,
      'missing_image',
    );
  }
  return { command, options: coerced.options, images };
}

function lookup(name: string): Command {
  const c = getCommand(name);
  if (!c) {
    const names = COMMANDS.map((x) => '/' + x.spec.name).join(', ');
    throw new HttpError(
      400,
      `There is no command /${name.replace(/^\//, '')}. Commands: ${names}.`,
      'unknown_command',
    );
  }
  return c;
}

function optionsObject(v: unknown): Record<string, unknown> {
  let o = v;
  if (typeof o === 'string') {
    try {
      o = JSON.parse(o);
    } catch {
      throw new HttpError(400, 'options must be a JSON object.', 'bad_options');
    }
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o))
    throw new HttpError(400, 'options must be an object.', 'bad_options');
  for (const [k, x] of Object.entries(o)) {
    if (x !== null && typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') {
      throw new HttpError(400, `Option ${k} must be a string, number or boolean.`, 'bad_options');
    }
  }
  return { ...(o as Record<string, unknown>) };
}

async function getRecord(deps: ServerDeps, id: string): Promise<JobRecord> {
  const rec = await deps.engine.get(id);
  if (!rec) throw new HttpError(404, `I can't find job ${id}.`, 'not_found');
  return rec;
}

async function viewOf(deps: ServerDeps, rec: JobRecord, session: string): Promise<JobView> {
  let kept = true;
  if (rec.status === 'done') kept = !('ok' in (await deps.engine.resultFiles(rec.jobId)));
  return jobView(rec, session, kept);
}

/** GET /api/jobs/:id */
async function getJob(ctx: Ctx, id: string): Promise<void> {
  const rec = await getRecord(ctx.deps, id);
  sendJson(ctx.res, 200, await viewOf(ctx.deps, rec, ctx.session));
}

/** DELETE /api/jobs/:id: cancel (the session that asked for it only). */
async function cancel(ctx: Ctx, id: string): Promise<void> {
  const r = await ctx.deps.engine.cancel(id, { userId: ctx.session, isAdmin: false, platform: 'playground' });
  if (!r.ok) throw new HttpError(statusOfRefusal(r.code), r.message, r.code);
  sendJson(ctx.res, 200, { jobId: id, status: r.status });
}

/** POST /api/jobs/:id/regenerate: the same spec with a new seed (or `{ "seed": n }`). */
async function regenerate(ctx: Ctx, id: string): Promise<void> {
  const body = await parseBody(ctx.req.headers['content-type'], await readBody(ctx.req, 64 * 1024));
  const seed = body.fields.seed;
  if (seed !== undefined && seed !== '' && typeof seed !== 'number' && typeof seed !== 'string') {
    throw new HttpError(400, 'seed must be a whole number from 0 to 4294967295.', 'bad_options');
  }
  let n: number | undefined;
  if (seed !== undefined && seed !== '') {
    n = Number(seed);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
      throw new HttpError(400, 'seed must be a whole number from 0 to 4294967295.', 'bad_options');
  }
  const slot = await addressSlot(ctx);
  let r: SubmitResult;
  try {
    r = await ctx.deps.engine.regenerate(id, ownerOf(ctx.session), n);
    if (r.ok) slot?.keep(r.jobId);
  } finally {
    slot?.release();
  }
  if (!r.ok) throw new HttpError(statusOfRefusal(r.code), r.message, r.code);
  sendReply(ctx, {
    kind: 'job',
    jobId: r.jobId,
    position: r.position,
    estimatedWaitMs: r.estimatedWaitMs,
    spec: r.spec,
    text: `${queuedText(r.jobId, r.position, r.estimatedWaitMs)} New seed: ${r.spec.seed}.`,
  });
}

/** GET /api/history?limit=n: the session's jobs, oldest first. */
async function history(ctx: Ctx): Promise<void> {
  const limitRaw = ctx.url.searchParams.get('limit');
  const limit = limitRaw === null ? 50 : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    throw new HttpError(400, 'limit must be a whole number from 1 to 200.', 'bad_options');
  const ids = ctx.deps.history.list(ctx.session, limit);
  const jobs: JobView[] = [];
  for (const id of ids) {
    const rec = await ctx.deps.engine.get(id);
    if (rec) jobs.push(await viewOf(ctx.deps, rec, ctx.session));
  }
  sendJson(ctx.res, 200, { jobs }, 'no-store');
}

/** GET /api/jobs/:id/image.png, raw.png, trajectory.gif */
async function sendResultFile(ctx: Ctx, id: string, which: 'png' | 'rawPng' | 'gif'): Promise<void> {
  const files = await ctx.deps.engine.resultFiles(id);
  if ('ok' in files && files.ok === false)
    throw new HttpError(statusOfRefusal(files.code), files.message, files.code);
  const f = files as Exclude<typeof files, { ok: false }>;
  const file = f[which];
  if (!file)
    throw new HttpError(404, `Job ${id} has no trajectory GIF (its technique draws no frames).`, 'no_result');
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new HttpError(404, `The files of job ${id} are gone; regenerate it to get new ones.`, 'no_result');
  }
  const etag = `"${id}-${which}-${size}"`;
  const headers = {
    'content-type': which === 'gif' ? 'image/gif' : 'image/png',
    'cache-control': 'private, max-age=86400',
    etag,
    'content-disposition': `inline; filename="${id}${which === 'gif' ? '-trajectory.gif' : which === 'rawPng' ? '-raw.png' : '.png'}"`,
  };
  if (ctx.req.headers['if-none-match'] === etag) {
    ctx.res.writeHead(304, headers).end();
    return;
  }
  ctx.res.writeHead(200, { ...headers, 'content-length': String(size) });
  if (ctx.req.method === 'HEAD') {
    ctx.res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const s = createReadStream(file);
    s.on('error', () => {
      ctx.res.destroy();
      resolve();
    });
    s.on('end', resolve);
    s.pipe(ctx.res);
  });
}

// ---- server-sent events -------------------------------------------------------------------

function writeSse(res: ServerResponse, m: SseMessage, id: number): void {
  res.write(`id: ${id}\nevent: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`);
}

/** GET /api/jobs/:id/events: queued (with position), started, progress (step/total, preview), then done, failed or cancelled. */
async function events(ctx: Ctx, id: string): Promise<void> {
  const { deps, res } = ctx;
  const first = await getRecord(deps, id);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  let seq = 0;
  let ended = false;
  let sawAny = false;
  // Events are written in order even though 'done' needs an async look-up first.
  let chain: Promise<void> = Promise.resolve();
  const finish = () => {
    if (ended) return;
    ended = true;
    off();
    clearInterval(beat);
    deps.streams.delete(finish);
    res.end();
  };
  const push = (e: JobEvent) => {
    sawAny = true;
    chain = chain.then(async () => {
      if (ended) return;
      let view: JobView | undefined;
      if (e.type === 'done') {
        const rec = await deps.engine.get(id);
        if (rec) view = await viewOf(deps, rec, ctx.session);
      }
      if (ended) return;
      writeSse(res, eventMessage(e, view), ++seq);
      if (e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') finish();
    });
  };
  // The engine replays a recent job's past events inside subscribe(): of a finished job only the
  // end is worth sending; otherwise the replay is sent in step order.
  let replay: JobEvent[] | null = [];
  const off = deps.engine.subscribe(id, (e) => (replay ? replay.push(e) : push(e)));
  const past: JobEvent[] = replay;
  replay = null;
  const end = past.find((e) => e.type === 'done' || e.type === 'failed' || e.type === 'cancelled');
  if (end) push(end);
  else for (const e of past.sort((a, b) => replayRank(a) - replayRank(b))) push(e);
  const beat = setInterval(() => res.write(': keep-alive\n\n'), deps.heartbeatMs);
  beat.unref();
  deps.streams.add(finish);
  // The response's 'close' fires when the client goes away (the request's does not, for a GET).
  res.on('close', finish);

  // Jobs the engine no longer replays (finished long ago, or before a restart) are told from the store.
  await chain;
  if (ended || sawAny) return;
  const rec = (await deps.engine.get(id)) ?? first;
  if (ended || sawAny) return;
  const owner = rec.owner;
  if (rec.status === 'done' && rec.result) push({ type: 'done', jobId: id, owner, result: rec.result });
  else if (rec.status === 'failed')
    push({ type: 'failed', jobId: id, owner, message: rec.error ?? 'This job failed.' });
  else if (rec.status === 'cancelled') push({ type: 'cancelled', jobId: id, owner, by: null });
  else if (rec.status === 'queued')
    push({ type: 'queued', jobId: id, owner, position: rec.position ?? 0, estimatedWaitMs: 0 });
  else if (rec.status === 'running')
    push({ type: 'started', jobId: id, owner, startedAt: rec.startedAt ?? Date.now() });
}

/** Order of replayed events: queued, started, then progress by step (a stale preview before the latest count). */
function replayRank(e: JobEvent): number {
  if (e.type === 'queued') return 0;
  if (e.type === 'started') return 1;
  if (e.type === 'progress') return 2 + e.step + (e.preview ? 0 : 0.5);
  return Number.MAX_SAFE_INTEGER;
}

// ---- helpers ------------------------------------------------------------------------------

function sendJson(res: ServerResponse, status: number, body: unknown, cache = 'no-store'): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': cache,
  });
  res.end(text);
}
