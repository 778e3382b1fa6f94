// The Slack adapter (@slack/bolt v4): Socket Mode by default, or HTTP with request-signature
// checks (SLACK_MODE=http). Slash commands, mentions in image threads, a message shortcut, and
// reactions on results all end in the same status flow: a status message updated with queue
// position and progress, then the PNG and GIF uploaded into the thread with the shared caption.
import type { AddressInfo } from 'node:net';
// @slack/web-api is CommonJS whose named exports Node's ESM loader cannot see (and not a direct
// dependency): use the namespace Bolt re-exports.
import { App, HTTPReceiver, webApi } from '@slack/bolt';
import type { Config } from '../../config.ts';
import type { Engine, JobEvent } from '../../jobs/api.ts';
import { createLogger, type Logger } from '../../jobs/logger.ts';
import type { SlackContext } from './context.ts';
import { followJob, statusHead } from './job-flow.ts';
import { DEFAULT_MAX_BODY_BYTES, guardRequestListener } from './http-guard.ts';
import { authFailure, boltLogger, errorText } from './log.ts';
import { registerMentions } from './mentions.ts';
import { registerActions } from './actions.ts';
import { registerReactions } from './reactions.ts';
import { parseMessageRef } from './result-ref.ts';
import { registerShortcut } from './shortcut.ts';
import { registerSlashCommands } from './slash-commands.ts';

export { isSlackFileUrl, downloadSlackFile, DownloadError, SLACK_FILE_HOSTS, type DownloadLimits } from './download.ts';
export { scrubSecrets } from './log.ts';
export { buildSlackManifest } from './manifest.ts';

/** Options of startSlackBot beyond the config. */
export interface SlackBotOptions {
  logger?: Logger;
  /** HTTP mode: port to listen on (default SLACK_PORT; 0 = any free port) and host (default SLACK_HOST). */
  port?: number;
  host?: string;
  /** HTTP mode: largest request body accepted (default 1 MiB); larger ones get 413 unread. */
  maxBodyBytes?: number;
  /** Largest image a user may post, in bytes (default UPLOAD_MAX_BYTES, the engine's upload limit). */
  maxDownloadBytes?: number;
  /** Time limit of one image download (default 20 s). */
  downloadTimeoutMs?: number;
  /** "host:port" origins besides Slack's file hosts that url_private may point at (local fakes in tests only). */
  extraFileHosts?: string[];
  /** Least time between two edits of a status message (default 1500 ms). */
  statusIntervalMs?: number;
  /** Retry policy of Web API calls (default: five retries in about five minutes). */
  retryConfig?: webApi.RetryOptions;
}

/** A running Slack bot. */
export interface SlackBot {
  /** Disconnects (Socket Mode) or closes the HTTP server and stops following jobs; the engine keeps running. */
  stop(): Promise<void>;
  /** HTTP mode: the port the request URL listens on. */
  port?: number;
  /** The bot's user id (auth.test). */
  botUserId: string;
}

const MIN_STATUS_INTERVAL_MS = 1500;
/** Request URL path of HTTP mode (events, slash commands and interactivity), the request URL Slack is given. */
const EVENTS_PATH = '/slack/events';

/** Starts the Slack bot on `engine`: Socket Mode (SLACK_APP_TOKEN) or HTTP with signature checks (SLACK_SIGNING_SECRET). */
export async function startSlackBot(config: Config, engine: Engine, options: SlackBotOptions = {}): Promise<SlackBot> {
  const s = config.slack;
  if (!s.botToken) throw new Error('SLACK_BOT_TOKEN is not set: the Slack bot needs the app\'s bot token (xoxb-...).');
  if (s.mode === 'socket' && !s.appToken) throw new Error('SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-...) with connections:write, or set SLACK_MODE=http.');
  if (s.mode === 'http' && !s.signingSecret) throw new Error('SLACK_SIGNING_SECRET is not set: HTTP mode checks the signature of every request with it.');
  const secrets = [s.botToken, s.appToken, s.signingSecret].filter((x): x is string => !!x);
  const log = (options.logger ?? createLogger(config.logLevel)).child({ adapter: 'slack' });
  const logger = boltLogger(log, secrets);
  const clientOptions = {
    ...(s.apiUrl ? { slackApiUrl: s.apiUrl } : {}),
    retryConfig: options.retryConfig ?? webApi.retryPolicies.fiveRetriesInFiveMinutes,
    timeout: 30_000,
  };

  let receiver: HTTPReceiver | undefined;
  if (s.mode === 'http') {
    receiver = new HTTPReceiver({ signingSecret: s.signingSecret!, endpoints: EVENTS_PATH, logger });
    // Size, timestamp (both ways), signature and replay checks before Bolt reads the body.
    receiver.requestListener = guardRequestListener(receiver.requestListener, {
      signingSecret: s.signingSecret!,
      endpoints: [EVENTS_PATH],
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      windowSeconds: 5 * 60,
      bodyTimeoutMs: 10_000,
      onRefuse: (status, reason) => log.warn({ status, reason }, 'slack request refused'),
    });
  }
  // auth.test first, on a client of our own: given the bot's ids, Bolt skips its own un-awaited
  // auth.test, so a rejected token ends in this one error instead of a stray rejection.
  // No retries and a 10 s limit: a failure is reported at once, as what it is (unreachable or a
  // rejected token), and the caller tries again with its own backoff.
  const auth = await new webApi.WebClient(s.botToken, { ...clientOptions, retryConfig: { retries: 0 }, timeout: 10_000, logger })
    .auth.test()
    .catch((err: unknown) => {
      throw new Error(authFailure(err, secrets));
    });
  const botUserId = String(auth.user_id ?? '');
  if (!botUserId) throw new Error('auth.test returned no bot user id.');
  const ids = { botUserId, ...(auth.bot_id ? { botId: String(auth.bot_id) } : {}) };
  const app = receiver
    ? new App({ token: s.botToken, ...ids, logger, clientOptions, receiver })
    : new App({ token: s.botToken, ...ids, appToken: s.appToken, socketMode: true, logger, clientOptions });


  const tasks = new Set<Promise<unknown>>();
  const stopping = new AbortController();
  const admins = new Set(config.adminUserIds);
  const ctx: SlackContext = {
    engine,
    client: app.client,
    config,
    log,
    botUserId,
    ...(auth.bot_id ? { botId: String(auth.bot_id) } : {}),
    ...(auth.team_id ? { teamId: String(auth.team_id) } : {}),
    botToken: s.botToken,
    download: {
      maxBytes: options.maxDownloadBytes ?? config.uploadMaxBytes,
      timeoutMs: options.downloadTimeoutMs ?? 20_000,
      extraHosts: (options.extraFileHosts ?? []).map((h) => h.toLowerCase()),
    },
    statusIntervalMs: Math.max(options.statusIntervalMs ?? MIN_STATUS_INTERVAL_MS, 0),
    secrets,
    following: new Set(),
    background(name, task) {
      if (stopping.signal.aborted) return;
      const p: Promise<unknown> = task(stopping.signal)
        .catch((err: unknown) => log.error({ task: name, err: errorText(err, secrets) }, 'background task failed'))
        .finally(() => tasks.delete(p));
      tasks.add(p);
    },
    isAdmin: (userId) => admins.has(userId),
  };

  const seenEvents = new Map<string, number>();
  const seen = (eventId: string | undefined): boolean => {
    if (!eventId) return false;
    if (seenEvents.has(eventId)) return true;
    seenEvents.set(eventId, Date.now());
    if (seenEvents.size > 2000) seenEvents.delete(seenEvents.keys().next().value!);
    return false;
  };

  app.error(async (err) => {
    log.error({ err: errorText(err, secrets) }, 'unhandled Slack error');
  });
  registerSlashCommands(app, ctx);
  registerMentions(app, ctx, seen);
  registerReactions(app, ctx, seen);
  registerShortcut(app, ctx);
  registerActions(app, ctx);

  // Jobs of this platform that another process started (before a restart) keep their status message up to date.
  const resume = (jobId: string, ownerRef: string | undefined, userId: string) => {
    if (ctx.following.has(jobId)) return;
    const ref = parseMessageRef(ownerRef);
    if (!ref) return;
    ctx.following.add(jobId);
    ctx.background(`resume ${jobId}`, async (signal) => {
      const job = await engine.get(jobId);
      if (!job) {
        ctx.following.delete(jobId);
        return;
      }
      const head = statusHead(userId, job.spec, job.parentId ? `again with a new seed, from job ${job.parentId}` : undefined);
      await followJob(ctx, jobId, { channel: ref.channel, ts: ref.ts, threadRoot: ref.threadRoot }, head, null, signal);
    });
  };
  const offAll = engine.subscribeAll((e: JobEvent) => {
    if (e.owner.platform === 'slack' && !ctx.following.has(e.jobId)) resume(e.jobId, e.owner.messageRef, e.owner.userId);
  });

  let port: number | undefined;
  const host = s.mode === 'http' ? (options.host ?? s.host) : undefined;
  try {
    if (s.mode === 'socket') {
      await app.start();
    } else {
      const server = (await app.start({ port: options.port ?? s.port, host })) as unknown as {
        address(): AddressInfo | string | null;
      };
      const addr = server.address();
      port = typeof addr === 'object' && addr ? addr.port : undefined;
    }
  } catch (err) {
    offAll();
    const why = errorText(err, secrets);
    if (s.mode === 'socket' && /invalid_auth|not_authed|token_revoked|account_inactive/.test(why)) {
      throw new Error(`Slack rejected the app-level token (apps.connections.open: ${why}); check SLACK_APP_TOKEN (xapp-..., with connections:write).`);
    }
    throw new Error(`The Slack bot could not start: ${why}`);
  }
  for (const q of await engine.listQueue()) {
    if (q.owner.platform === 'slack') resume(q.jobId, q.owner.messageRef, q.owner.userId);
  }
  log.info({ mode: s.mode, host, port, botUserId }, 'slack bot started');

  let stopped: Promise<void> | null = null;
  return {
    port,
    botUserId,
    stop() {
      stopped ??= (async () => {
        offAll();
        stopping.abort();
        await app.stop().catch((err: unknown) => log.warn({ err: errorText(err, secrets) }, 'stopping Bolt failed'));
        await Promise.race([Promise.allSettled([...tasks]), new Promise((r) => setTimeout(r, 10_000).unref())]);
        log.info('slack bot stopped');
      })();
      return stopped;
    },
  };
}
