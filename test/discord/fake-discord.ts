// A local fake of Discord on 127.0.0.1 that speaks the documented wire protocol: the REST API
// routes a bot uses (gateway discovery, interaction callbacks, interaction webhooks, channel
// messages, command registration; JSON and multipart bodies) and a gateway WebSocket (HELLO,
// IDENTIFY -> READY + GUILD_CREATE, heartbeats and ACKs, dispatches). It enforces Discord's
// interaction deadlines (3 s to acknowledge, a limited token lifetime) and the message limits of
// limits.ts (400 code 50035, 413), answers 429 on demand (rateLimit), and records everything.
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkMessage, DISCORD_LIMITS, rateLimitAnswer } from './limits.ts';
import { MISSING_PERMISSIONS, permissionsFor } from './permissions.ts';
import { acceptWebSocket, type WsConnection } from './ws-server.ts';

/** One uploaded file of a multipart request. */
export interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

/** One REST request as the fake saw it. */
export interface RecordedRequest {
  method: string;
  /** Path below /api/v10, e.g. /interactions/123/tok/callback. */
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  /** JSON body, or the multipart payload_json. */
  json: Record<string, unknown> | null;
  files: UploadedFile[];
  status: number;
  at: number;
}

/** A message the fake holds (the API's message object plus the bytes of its attachments). */
export type FakeMessage = Record<string, unknown> & { id: string; channel_id: string; content: string; attachments: FakeAttachment[] };

interface FakeAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type: string;
}

interface FakeInteraction {
  id: string;
  token: string;
  createdAt: number;
  /** Webhook routes with this interaction's token answer 401 after this time. */
  tokenExpiresAt: number;
  acked: boolean;
  channelId: string;
  /** The message the callback created (deferred or replied), the target of @original. */
  originalId: string | null;
  /** For component interactions, the message the button is on. */
  messageId?: string;
}

export interface FakeDiscordOptions {
  token?: string;
  appId?: string;
  botUserId?: string;
  guildId?: string;
  channelIds?: string[];
  /** Gateway heartbeat interval (ms). */
  heartbeatIntervalMs?: number;
  /** Time to acknowledge an interaction (Discord: 3 s). */
  ackDeadlineMs?: number;
  /** Lifetime of an interaction token (Discord: 15 min). */
  tokenLifetimeMs?: number;
}

const EPOCH = 1420070400000n;
let counter = 0n;

/** A Discord snowflake for now (timestamp << 22 | counter). */
export function snowflake(at = Date.now()): string {
  counter = (counter + 1n) & 0xfffn;
  return ((BigInt(at) - EPOCH) << 22n | counter).toString();
}

/** A local fake Discord (REST + gateway + attachment host) on 127.0.0.1. */
export class FakeDiscord extends EventEmitter {
  readonly token: string;
  readonly appId: string;
  readonly botUserId: string;
  readonly guildId: string;
  readonly channelIds: string[];
  /** Roles of the guild besides @everyone (one member role). */
  readonly roleIds: string[] = [snowflake()];
  /** Guild members GET /guilds/:id/members/:user answers for (user id -> role ids); others are unknown. */
  readonly members = new Map<string, string[]>();
  readonly requests: RecordedRequest[] = [];
  readonly messages = new Map<string, FakeMessage>();
  readonly files = new Map<string, { data: Buffer; contentType: string }>();
  readonly interactions = new Map<string, FakeInteraction>();
  identifies: Record<string, unknown>[] = [];
  heartbeats = 0;
  /** Paths of attachment downloads (GET /attachments/...), in order. */
  readonly attachmentFetches: string[] = [];
  /** The next this many logins (GET /gateway/bot) answer 401 whatever the token, as for a rejected one. */
  rejectLogins = 0;
  /** Largest file one upload may carry (Discord: 10 MiB for a bot); larger ones answer 413. */
  maxFileBytes: number = DISCORD_LIMITS.fileBytes;
  /** The bot's permissions in the guild's channels (null = all): channel routes lacking one answer 403 (50013). */
  botPermissions: bigint | null = null;
  private rateLimits: { match: (r: RecordedRequest) => boolean; left: number; retryAfterS: number; global: boolean }[] = [];
  private server: Server | null = null;
  private sockets = new Set<WsConnection>();
  private seq = 0;
  private port = 0;
  private readonly opts: Required<Pick<FakeDiscordOptions, 'heartbeatIntervalMs' | 'ackDeadlineMs' | 'tokenLifetimeMs'>>;

  constructor(options: FakeDiscordOptions = {}) {
    super();
    this.setMaxListeners(0);
    this.token = options.token ?? 'fake-bot-token.' + Math.random().toString(36).slice(2);
    this.appId = options.appId ?? snowflake();
    this.botUserId = options.botUserId ?? this.appId;
    this.guildId = options.guildId ?? snowflake();
    this.channelIds = options.channelIds ?? [snowflake(), snowflake()];
    this.opts = {
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      ackDeadlineMs: options.ackDeadlineMs ?? 3_000,
      tokenLifetimeMs: options.tokenLifetimeMs ?? 15 * 60_000,
    };
  }

  /** http://127.0.0.1:port */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The REST base a client is configured with (discord.js `rest.api`). */
  get apiBase(): string {
    return `${this.origin}/api`;
  }

  /** host:port of the attachment host. */
  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.on('upgrade', (req, socket) => this.onUpgrade(req, socket));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  // ---- attachments ---------------------------------------------------------------------

  /** Serves `data` at /attachments/<id>/<filename> and returns the API attachment object. */
  addAttachment(filename: string, data: Buffer, contentType: string, declaredSize = data.length): FakeAttachment {
    const id = snowflake();
    const url = `${this.origin}/attachments/${id}/${filename}`;
    this.files.set(`/attachments/${id}/${filename}`, { data, contentType });
    return { id, filename, size: declaredSize, url, proxy_url: url, content_type: contentType };
  }

  // ---- gateway -------------------------------------------------------------------------

  /** Sends a dispatch (op 0) to every identified gateway connection. */
  dispatch(t: string, d: unknown): void {
    const payload = JSON.stringify({ op: 0, t, s: ++this.seq, d });
    for (const s of this.sockets) if ((s as WsConnection & { identified?: boolean }).identified) s.send(payload);
  }

  /** Closes every gateway connection (as a Discord-side reconnect request would). */
  dropGateway(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Resolves when a client has identified and got READY. */
  async ready(timeoutMs = 15_000): Promise<void> {
    if (this.identifies.length > 0) return;
    await this.waitEvent('identify', timeoutMs);
  }

  private onUpgrade(req: IncomingMessage, socket: import('node:stream').Duplex): void {
    const ws = acceptWebSocket(req, socket);
    if (!ws) return;
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: this.opts.heartbeatIntervalMs }, s: null, t: null }));
    ws.on('message', (text: string) => {
      let msg: { op: number; d: Record<string, unknown> };
      try {
        msg = JSON.parse(text);
      } catch {
        ws.close(4002, 'Decode error');
        return;
      }
      switch (msg.op) {
        case 1:
          this.heartbeats++;
          ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
          this.emit('heartbeat');
          break;
        case 2: {
          if (msg.d.token !== this.token) {
            ws.close(4004, 'Authentication failed.');
            return;
          }
          this.identifies.push(msg.d);
          (ws as WsConnection & { identified?: boolean }).identified = true;
          this.seq = 0;
          ws.send(JSON.stringify({ op: 0, t: 'READY', s: ++this.seq, d: this.readyPayload() }));
          ws.send(JSON.stringify({ op: 0, t: 'GUILD_CREATE', s: ++this.seq, d: this.guildPayload() }));
          this.emit('identify', msg.d);
          break;
        }
        case 6:
          // Sessions are not kept: ask the client to identify again.
          ws.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
          break;
        default:
          break;
      }
    });
  }

  private readyPayload() {
    return {
      v: 10,
      user: { id: this.botUserId, username: 'diffuse', discriminator: '0', global_name: 'diffuse', avatar: null, bot: true, flags: 0 },
      guilds: [{ id: this.guildId, unavailable: true }],
      session_id: 'session-' + snowflake(),
      resume_gateway_url: this.origin.replace('http', 'ws'),
      shard: [0, 1],
      application: { id: this.appId, flags: 0 },
      private_channels: [],
      relationships: [],
      presences: [],
      guild_join_requests: [],
      user_settings: {},
    };
  }

  private guildPayload() {
    return {
      id: this.guildId,
      name: 'Fake guild',
      icon: null,
      owner_id: snowflake(),
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      features: [],
      mfa_level: 0,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      joined_at: new Date().toISOString(),
      large: false,
      unavailable: false,
      member_count: 3,
      roles: [this.guildId, ...this.roleIds].map((id, i) => ({
        id,
        name: i === 0 ? '@everyone' : `role-${i}`,
        permissions: i === 0 ? '1071698660929' : '0',
        position: i,
        color: 0,
        hoist: false,
        managed: false,
        mentionable: false,
        flags: 0,
      })),
      emojis: [],
      stickers: [],
      members: [],
      channels: this.channelIds.map((id, i) => ({
        id,
        type: 0,
        guild_id: this.guildId,
        name: `channel-${i}`,
        position: i,
        permission_overwrites: [],
        nsfw: false,
        topic: null,
        last_message_id: null,
        parent_id: null,
        rate_limit_per_user: 0,
      })),
      threads: [],
      presences: [],
      voice_states: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  // ---- interactions and reactions ------------------------------------------------------

  /** A guild member payload for a user. */
  member(userId: string, roles: string[] = [], permissions = '2147483648') {
    return {
      user: { id: userId, username: `user${userId.slice(-4)}`, discriminator: '0', global_name: null, avatar: null },
      roles,
      joined_at: new Date().toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      nick: null,
      avatar: null,
      permissions,
    };
  }

  /**
   * Dispatches an APPLICATION_COMMAND interaction for a chat-input command and returns its id.
   * `options` values: strings, numbers, booleans; attachments go in `attachments` (option name -> attachment).
   */
  sendCommand(input: {
    name: string;
    options?: Record<string, string | number | boolean>;
    attachments?: Record<string, FakeAttachment>;
    userId?: string;
    roles?: string[];
    permissions?: string;
    channelId?: string;
    dm?: boolean;
    /** Token lifetime of this interaction (default: the fake's). */
    tokenLifetimeMs?: number;
  }): FakeInteraction {
    const opts: { name: string; type: number; value: unknown }[] = [];
    for (const [name, value] of Object.entries(input.options ?? {})) {
      const type = typeof value === 'string' ? 3 : typeof value === 'boolean' ? 5 : Number.isInteger(value) ? 4 : 10;
      opts.push({ name, type, value });
    }
    const resolvedAttachments: Record<string, FakeAttachment> = {};
    for (const [name, att] of Object.entries(input.attachments ?? {})) {
      opts.push({ name, type: 11, value: att.id });
      resolvedAttachments[att.id] = att;
    }
    const data: Record<string, unknown> = { id: snowflake(), name: input.name, type: 1, options: opts };
    if (Object.keys(resolvedAttachments).length > 0) data.resolved = { attachments: resolvedAttachments };
    return this.sendInteraction(2, data, input);
  }

  /** Dispatches a button click (MESSAGE_COMPONENT) on `messageId`. */
  sendButton(input: { customId: string; messageId: string; userId?: string; roles?: string[]; permissions?: string; channelId?: string }): FakeInteraction {
    const msg = this.messages.get(input.messageId);
    return this.sendInteraction(3, { custom_id: input.customId, component_type: 2 }, { ...input, channelId: input.channelId ?? msg?.channel_id }, msg);
  }

  /** Dispatches a message context-menu command (APPLICATION_COMMAND, data.type 3) named `name` on `messageId`. */
  sendMessageAction(input: { name: string; messageId: string; userId?: string; roles?: string[]; permissions?: string }): FakeInteraction {
    const msg = this.messages.get(input.messageId);
    if (!msg) throw new Error(`no message ${input.messageId}`);
    const data = { id: snowflake(), name: input.name, type: 3, target_id: msg.id, resolved: { messages: { [msg.id]: msg } } };
    return this.sendInteraction(2, data, { ...input, channelId: msg.channel_id });
  }

  private sendInteraction(
    type: number,
    data: Record<string, unknown>,
    input: { userId?: string; roles?: string[]; permissions?: string; channelId?: string; dm?: boolean; tokenLifetimeMs?: number },
    message?: FakeMessage,
  ): FakeInteraction {
    const id = snowflake();
    const token = 'itok-' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
    const userId = input.userId ?? '100000000000000001';
    const channelId = input.channelId ?? this.channelIds[0];
    const now = Date.now();
    const interaction: FakeInteraction = {
      id,
      token,
      createdAt: now,
      tokenExpiresAt: now + (input.tokenLifetimeMs ?? this.opts.tokenLifetimeMs),
      acked: false,
      channelId,
      originalId: null,
      messageId: message?.id,
    };
    this.interactions.set(id, interaction);
    const member = this.member(userId, input.roles ?? [], input.permissions);
    const payload: Record<string, unknown> = {
      id,
      application_id: this.appId,
      type,
      data,
      channel_id: channelId,
      token,
      version: 1,
      locale: 'en-US',
      app_permissions: '2248473465835073',
      entitlements: [],
      attachment_size_limit: 10 * 1024 * 1024,
    };
    if (input.dm) {
      payload.user = member.user;
      payload.channel = { id: channelId, type: 1, recipients: [member.user] };
      payload.context = 1;
      payload.authorizing_integration_owners = { '0': this.guildId };
    } else {
      payload.guild_id = this.guildId;
      payload.guild = { id: this.guildId, locale: 'en-US', features: [] };
      payload.guild_locale = 'en-US';
      payload.member = member;
      payload.channel = { id: channelId, type: 0, guild_id: this.guildId, name: 'channel', permissions: '2248473465835073' };
      payload.context = 0;
      payload.authorizing_integration_owners = { '0': this.guildId };
    }
    if (message) payload.message = message;
    this.dispatch('INTERACTION_CREATE', payload);
    return interaction;
  }

  /**
   * Dispatches MESSAGE_REACTION_ADD for `emoji` on a message (the message need not be cached by the client).
   * `withMember: false` leaves the member object out, so the client knows no roles unless it fetches the member.
   */
  sendReaction(input: { messageId: string; emoji: string; userId?: string; channelId?: string; roles?: string[]; withMember?: boolean }): void {
    const msg = this.messages.get(input.messageId);
    const userId = input.userId ?? '100000000000000001';
    this.dispatch('MESSAGE_REACTION_ADD', {
      user_id: userId,
      channel_id: input.channelId ?? msg?.channel_id ?? this.channelIds[0],
      message_id: input.messageId,
      guild_id: this.guildId,
      ...(input.withMember === false ? {} : { member: this.member(userId, input.roles ?? []) }),
      emoji: { id: null, name: input.emoji },
      message_author_id: (msg?.author as { id?: string } | undefined)?.id,
      burst: false,
      burst_colors: [],
      type: 0,
    });
  }

  /** Posts a message from the bot into a channel (as one left by an earlier process). */
  postBotMessage(channelId: string, content: string): FakeMessage {
    return this.createMessage(channelId, { content }, [], false);
  }

  // ---- waiting -------------------------------------------------------------------------

  /** Resolves with the first recorded request (past or future) that matches. */
  waitForRequest(match: (r: RecordedRequest) => boolean, timeoutMs = 20_000, label = 'request'): Promise<RecordedRequest> {
    const hit = this.requests.find(match);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('request', on);
        reject(new Error(`timed out waiting for ${label}; saw: ${this.requests.map((r) => `${r.method} ${r.path} ${r.status}`).join(', ')}`));
      }, timeoutMs);
      const on = (r: RecordedRequest) => {
        if (!match(r)) return;
        clearTimeout(timer);
        this.off('request', on);
        resolve(r);
      };
      this.on('request', on);
    });
  }

  private waitEvent(name: string, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${name}`)), timeoutMs);
      this.once(name, (v) => {
        clearTimeout(timer);
        resolve(v);
      });
    });
  }

  /** The next `count` REST requests that match answer 429 with `retry_after` (seconds) and Discord's rate-limit headers. */
  rateLimit(match: (r: RecordedRequest) => boolean, count = 1, retryAfterS = 0.3, global = false): void {
    this.rateLimits.push({ match, left: count, retryAfterS, global });
  }

  // ---- REST ----------------------------------------------------------------------------

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);

    if (req.method === 'GET' && url.pathname.startsWith('/attachments/')) {
      this.attachmentFetches.push(url.pathname);
      const f = this.files.get(url.pathname);
      if (!f) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': f.contentType, 'content-length': String(f.data.length) });
      res.end(f.data);
      return;
    }
    const m = /^\/api\/v(\d+)(\/.*)$/.exec(url.pathname);
    if (!m) return this.send(res, 404, { message: '404: Not Found', code: 0 });
    const path = decodeURIComponent(m[2]);
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      query: url.searchParams,
      authorization: req.headers.authorization,
      json: null,
      files: [],
      status: 0,
      at: Date.now(),
    };
    try {
      const ct = req.headers['content-type'] ?? '';
      if (ct.startsWith('application/json') && body.length > 0) rec.json = JSON.parse(body.toString('utf8'));
      else if (ct.startsWith('multipart/form-data')) {
        const form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': ct }, body }).formData();
        for (const [field, value] of form.entries()) {
          if (typeof value === 'string') {
            if (field === 'payload_json') rec.json = JSON.parse(value);
          } else {
            rec.files.push({ field, filename: value.name, contentType: value.type, data: Buffer.from(await value.arrayBuffer()) });
          }
        }
      }
    } catch (err) {
      rec.status = 400;
      this.record(rec);
      return this.send(res, 400, { message: `bad body: ${(err as Error).message}`, code: 50109 });
    }
    const limit = this.rateLimits.find((l) => l.left > 0 && l.match(rec));
    if (limit) {
      limit.left--;
      const answer = rateLimitAnswer(limit.retryAfterS, `bucket-${rec.method}-${rec.path.split('/')[1]}`, limit.global);
      rec.status = 429;
      this.record(rec);
      return this.send(res, 429, answer.body, answer.headers);
    }
    const [status, out] = this.invalidMessage(rec) ?? this.route(rec);
    rec.status = status;
    this.record(rec);
    this.send(res, status, out);
  }

  private record(rec: RecordedRequest): void {
    this.requests.push(rec);
    this.emit('request', rec);
  }

  /** Discord's answer to a message body it refuses (limits.ts), for routes that create or edit a message. */
  private invalidMessage(rec: RecordedRequest): [number, unknown] | null {
    const { method, path, json } = rec;
    if (/^\/interactions\/\d+\/[^/]+\/callback$/.test(path)) {
      const type = (json as { type?: number } | null)?.type;
      return type === 4 || type === 7 ? checkMessage((json?.data as Record<string, unknown>) ?? {}, rec.files, this.maxFileBytes) : null;
    }
    const isMessage = /^\/webhooks\/\d+\/[^/]+(\/messages\/[^/]+)?$/.test(path) || /^\/channels\/\d+\/messages(\/\d+)?$/.test(path);
    return isMessage && (method === 'POST' || method === 'PATCH') ? checkMessage(json ?? {}, rec.files, this.maxFileBytes) : null;
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (status === 204) return void res.writeHead(204, headers).end();
    const text = JSON.stringify(body ?? null);
    res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }

  private botAuth(rec: RecordedRequest): boolean {
    return rec.authorization === `Bot ${this.token}`;
  }

  private route(rec: RecordedRequest): [number, unknown] {
    const { method, path } = rec;
    const unauthorized: [number, unknown] = [401, { message: '401: Unauthorized', code: 0 }];
    let m: RegExpExecArray | null;

    if (method === 'GET' && path === '/gateway/bot') {
      if (this.rejectLogins > 0) {
        this.rejectLogins--;
        return unauthorized;
      }
      if (!this.botAuth(rec)) return unauthorized;
      return [200, { url: this.origin.replace('http', 'ws'), shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 } }];
    }
    if ((m = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path)) && method === 'POST') {
      const it = this.interactions.get(m[1]);
      if (!it || it.token !== m[2] || Date.now() - it.createdAt > this.opts.ackDeadlineMs) return [404, { message: 'Unknown interaction', code: 10062 }];
      if (it.acked) return [400, { message: 'Interaction has already been acknowledged.', code: 40060 }];
      it.acked = true;
      const body = rec.json as { type: number; data?: Record<string, unknown> };
      if (body.type === 4 || body.type === 5) {
        const msg = this.createMessage(it.channelId, body.type === 4 ? (body.data ?? {}) : { content: '', flags: body.data?.flags ?? 0 }, rec.files, true);
        it.originalId = msg.id;
      } else if (body.type === 7 && it.messageId) {
        this.updateMessage(it.messageId, body.data ?? {}, rec.files);
      }
      return [204, null];
    }
    if ((m = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/([^/]+))?$/.exec(path))) {
      const it = [...this.interactions.values()].find((x) => x.token === m![2]);
      if (!it || m[1] !== this.appId) return [404, { message: 'Unknown Webhook', code: 10015 }];
      if (Date.now() > it.tokenExpiresAt) return [401, { message: 'Invalid Webhook Token', code: 50027 }];
      const target = m[3] === '@original' ? it.originalId : m[3];
      if (m[3] === undefined && method === 'POST') {
        if (!it.acked) return [400, { message: 'Interaction has not been acknowledged.', code: 40060 }];
        return [200, this.createMessage(it.channelId, rec.json ?? {}, rec.files, true)];
      }
      if (!target || !this.messages.has(target)) return [404, { message: 'Unknown Message', code: 10008 }];
      if (method === 'PATCH') return [200, this.updateMessage(target, rec.json ?? {}, rec.files)];
      if (method === 'GET') return [200, this.messages.get(target)];
      if (method === 'DELETE') {
        this.messages.delete(target);
        return [204, null];
      }
    }
    if ((m = /^\/channels\/(\d+)(?:\/messages(?:\/(\d+))?)?$/.exec(path))) {
      if (!this.botAuth(rec)) return unauthorized;
      const need = permissionsFor(method, path, rec.json, rec.files.length);
      if (this.botPermissions !== null && need !== null && (need & this.botPermissions) !== need) return [403, MISSING_PERMISSIONS];
      const channelId = m[1];
      if (!this.channelIds.includes(channelId)) return [404, { message: 'Unknown Channel', code: 10003 }];
      const isMessages = path.includes('/messages');
      if (!isMessages && method === 'GET') return [200, this.guildPayload().channels.find((c) => c.id === channelId)];
      if (isMessages && !m[2] && method === 'POST') return [200, this.createMessage(channelId, rec.json ?? {}, rec.files, false)];
      if (m[2]) {
        const msg = this.messages.get(m[2]);
        if (!msg || msg.channel_id !== channelId) return [404, { message: 'Unknown Message', code: 10008 }];
        if (method === 'GET') return [200, msg];
        if (method === 'PATCH') return [200, this.updateMessage(m[2], rec.json ?? {}, rec.files)];
        if (method === 'DELETE') {
          this.messages.delete(m[2]);
          return [204, null];
        }
      }
    }
    if ((m = /^\/guilds\/(\d+)\/members\/(\d+)$/.exec(path)) && method === 'GET') {
      if (!this.botAuth(rec)) return unauthorized;
      const roles = this.members.get(m[2]);
      if (m[1] !== this.guildId || !roles) return [404, { message: 'Unknown Member', code: 10007 }];
      return [200, this.member(m[2], roles)];
    }
    if ((m = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path)) && method === 'PUT') {
      if (!this.botAuth(rec)) return unauthorized;
      const list = (rec.json as unknown as Record<string, unknown>[]) ?? [];
      return [200, list.map((c) => ({ ...c, id: snowflake(), application_id: m![1], version: snowflake() }))];
    }
    return [404, { message: '404: Not Found', code: 0 }];
  }

  private author() {
    return { id: this.botUserId, username: 'diffuse', discriminator: '0', global_name: 'diffuse', avatar: null, bot: true };
  }

  private attachmentsFrom(files: UploadedFile[], payload: Record<string, unknown>, keep: FakeAttachment[]): FakeAttachment[] {
    const list = payload.attachments as { id: string | number; filename?: string }[] | undefined;
    const upload = (f: UploadedFile): FakeAttachment => this.addAttachment(f.filename, f.data, f.contentType);
    if (!list) return [...keep, ...files.map(upload)];
    const out: FakeAttachment[] = [];
    for (const a of list) {
      const file = files.find((f) => f.field === `files[${a.id}]`);
      if (file) out.push(upload(file));
      else {
        const existing = keep.find((k) => k.id === String(a.id));
        if (existing) out.push(existing);
      }
    }
    return out;
  }

  private createMessage(channelId: string, payload: Record<string, unknown>, files: UploadedFile[], viaWebhook: boolean): FakeMessage {
    const id = snowflake();
    const msg: FakeMessage = {
      id,
      channel_id: channelId,
      guild_id: this.guildId,
      author: this.author(),
      content: typeof payload.content === 'string' ? payload.content : '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: this.attachmentsFrom(files, payload, []),
      embeds: (payload.embeds as unknown[]) ?? [],
      components: (payload.components as unknown[]) ?? [],
      pinned: false,
      type: 0,
      flags: (payload.flags as number) ?? 0,
      ...(viaWebhook ? { webhook_id: this.appId, application_id: this.appId } : {}),
      ...(payload.message_reference ? { message_reference: payload.message_reference } : {}),
    };
    this.messages.set(id, msg);
    return msg;
  }

  private updateMessage(id: string, payload: Record<string, unknown>, files: UploadedFile[]): FakeMessage {
    const msg = this.messages.get(id)!;
    if (typeof payload.content === 'string') msg.content = payload.content;
    if (payload.components !== undefined) msg.components = payload.components as unknown[];
    if (payload.embeds !== undefined) msg.embeds = payload.embeds as unknown[];
    if (payload.attachments !== undefined || files.length > 0) msg.attachments = this.attachmentsFrom(files, payload, msg.attachments);
    msg.edited_timestamp = new Date().toISOString();
    return msg;
  }
}
