// The playground's HTTP server (node:http): the page's static files and the JSON HTTP API that
// the page itself uses (docs/api.md). Jobs run through the platform-neutral commands/ specs,
// so the playground accepts exactly what the chat adapters accept.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  COMMANDS,
  queuedText,
  runCommand,
  type CommandContext,
  type CommandReply,
} from '../../../commands/index.ts';
import type { Config } from '../../config.ts';
import type { Engine, JobOwner, SubmitResult } from '../../jobs/api.ts';
import { actionLabel, followUp } from '../../engine/follow-ups.ts';
import { parseActionId } from '../presentation/follow-up-buttons.ts';
import type { Logger } from '../../jobs/logger.ts';
import type { DecodeLimits } from '../../imaging/index.ts';
import { clientAddressKey, type AddressLimit, type AddressSlot } from './address-limit.ts';
import type { Asset } from './assets.ts';
import { SESSION_COOKIE, cookieHeader, hasToken, hostAllowed, sameOrigin } from './auth.ts';
import { parseBody, readBody, readRequestBody } from './body.ts';
import { resolveCommand } from './command-body.ts';
import type { SessionHistory } from './history.ts';
import { HttpError, statusOfRefusal } from './http-error.ts';
import { events, getRecord, viewOf } from './job-events.ts';
import type { Sessions } from './sessions.ts';
import { sendResultFile } from './result-file.ts';
import { isTls, serveStatic } from './static.ts';
import { storeImage } from './uploads.ts';
import { jobLinks, replyView, type JobView } from './views.ts';

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
  /** Largest JSON body in bytes (images go as multipart files). */
  maxJsonBytes: number;
  uploadLimits: DecodeLimits;
  /** Milliseconds between SSE keep-alive comments. */
  heartbeatMs: number;
  /** Closers of the open event streams (called on stop). */
  streams: Set<() => void>;
  /** The per-user limit of requests without a session cookie, by client address. */
  addressLimit: AddressLimit;
  /** Issues and checks the signed session cookies. */
  sessions: Sessions;
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
  { method: 'POST', re: new RegExp(`^/api/jobs/${JOB_ID}/actions/([a-z0-9]{1,8})/([1-4])$`), name: 'action' },
  { method: 'GET', re: /^\/api\/commands$/, name: 'commands' },
  { method: 'GET', re: /^\/api\/history$/, name: 'history' },
  { method: 'GET', re: /^\/api\/health$/, name: 'health' },
  { method: 'GET', re: /^\/api\/understand$/, name: 'understand' },
];

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

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
    sendJson(res, 500, {
      error: 'Something went wrong on the server; the error is in its log.',
      code: 'internal',
    });
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
  const session = deps.sessions.of(req, (id) => deps.history.list(id, 1).length > 0);
  if (session.setCookie) res.appendHeader('set-cookie', cookieHeader(SESSION_COOKIE, session.setCookie, isTls(req)));

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
    case 'action':
      return action(ctx, id, hit.m![2], Number(hit.m![3]));
    case 'commands':
      return sendJson(res, 200, { prefix: '/', commands: COMMANDS.map((c) => c.spec) }, 'no-cache');
    case 'history':
      return history(ctx);
    case 'health':
      return sendJson(res, 200, deps.engine.health());
    case 'understand':
      return understandText(ctx);
  }
}

/** GET /api/understand?text=...[&model=...]: what the model understands of a prompt, before any job (the composer shows it as you type). */
async function understandText(ctx: Ctx): Promise<void> {
  const text = (ctx.url.searchParams.get('text') ?? '').slice(0, 2000);
  const model = ctx.url.searchParams.get('model') || undefined;
  const r = await ctx.deps.engine.understand(text, model);
  if (!r.ok) throw new HttpError(statusOfRefusal(r.code), r.message, r.code);
  sendJson(ctx.res, 200, { understanding: r.understanding }, 'no-cache');
}

// ---- jobs ---------------------------------------------------------------------------------

function ownerOf(session: string): JobOwner {
  // The whole playground is one "server": its settings and content rules come from the configuration.
  return { platform: 'playground', userId: session, channelRef: session, serverId: 'playground' };
}

/** POST /api/jobs: a command by name with options, or a text command line; images as files or data URLs. */
async function submit(ctx: Ctx): Promise<void> {
  const { deps } = ctx;
  const limits = { body: deps.maxBodyBytes, json: deps.maxJsonBytes };
  const body = await parseBody(ctx.req.headers['content-type'], await readRequestBody(ctx.req, limits));
  const { command, options, images } = resolveCommand(body);
  const slot = command.spec.technique ? await addressSlot(ctx) : null;
  try {
    // The queue and per-user limits come before any image is decoded.
    const refused = command.spec.technique ? deps.engine.checkAdmission(ownerOf(ctx.session)) : null;
    if (refused) throw new HttpError(statusOfRefusal(refused.code), refused.message, refused.code);
    for (const [name, ref] of Object.entries(images)) {
      options[name] =
        typeof ref === 'string'
          ? ref
          : await storeImage(deps.engine, ref, name, deps.uploadLimits, ownerOf(ctx.session));
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
      ...(reply.reading ? { reading: reply.reading } : {}),
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

/** GET /api/jobs/:id */
async function getJob(ctx: Ctx, id: string): Promise<void> {
  const rec = await getRecord(ctx.deps, id, ctx.session);
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
  await submitAndReply(
    ctx,
    () => ctx.deps.engine.regenerate(id, ownerOf(ctx.session), n),
    (r) => `${queuedText(r.jobId, r.position, r.estimatedWaitMs)} New seed: ${r.spec.seed}.`,
  );
}

/** Submits under the address's slot (kept by the new job), then answers with the job, or with the refusal as an HTTP error. */
async function submitAndReply(
  ctx: Ctx,
  submit: () => Promise<SubmitResult>,
  text: (r: Extract<SubmitResult, { ok: true }>) => string,
): Promise<void> {
  const slot = await addressSlot(ctx);
  let r: SubmitResult;
  try {
    r = await submit();
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
    text: text(r),
  });
}

/** POST /api/jobs/:id/actions/:action/:n: a follow-up of a result (U n, V n, reroll, zoom out, pan; engine/follow-ups.ts). */
async function action(ctx: Ctx, id: string, name: string, n: number): Promise<void> {
  const a = parseActionId(`act:${id}:${name}:${n}`);
  if (!a) throw new HttpError(404, `There is no action ${name}; see docs/api.md.`, 'no_route');
  await submitAndReply(
    ctx,
    () => followUp(ctx.deps.engine, a.jobId, a.action, a.n, ownerOf(ctx.session)),
    (r) =>
      `${queuedText(r.jobId, r.position, r.estimatedWaitMs)} ${actionLabel(a.action, a.n)} of job ${id}.`,
  );
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
