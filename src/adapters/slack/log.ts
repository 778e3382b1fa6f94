// Logging for the Slack adapter: a Bolt / web-api Logger that writes through pino, with every
// known secret and anything shaped like a Slack token scrubbed from the text first.
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../jobs/logger.ts';

const REDACTED = '[redacted]';
/** Slack token shapes: bot (xoxb-), user (xoxp-), app-level (xapp-), legacy and refresh tokens. */
const TOKEN_SHAPE = /\bx(?:ox[a-z]|app)-[A-Za-z0-9-]+/g;

/** Replaces every given secret value and every Slack-token-shaped word in `text` with "[redacted]". */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join(REDACTED);
  return out.replace(TOKEN_SHAPE, REDACTED);
}

function render(parts: unknown[], secrets: readonly string[]): string {
  const text = parts
    .map((p) => {
      if (typeof p === 'string') return p;
      if (p instanceof Error) return `${p.name}: ${p.message}`;
      try {
        return JSON.stringify(p);
      } catch {
        return String(p);
      }
    })
    .join(' ');
  return scrubSecrets(text, secrets);
}

function boltLevel(pinoLevel: string): LogLevel {
  if (pinoLevel === 'trace' || pinoLevel === 'debug') return LogLevel.DEBUG;
  if (pinoLevel === 'info') return LogLevel.INFO;
  if (pinoLevel === 'warn') return LogLevel.WARN;
  return LogLevel.ERROR;
}

/** A Bolt Logger over pino (component "slack"); messages are scrubbed of secrets, and Bolt cannot change the level. */
export function boltLogger(log: Logger, secrets: readonly string[]): BoltLogger {
  const child = log.child({ component: 'slack' });
  return {
    debug: (...msg: unknown[]) => child.debug(render(msg, secrets)),
    info: (...msg: unknown[]) => child.info(render(msg, secrets)),
    warn: (...msg: unknown[]) => child.warn(render(msg, secrets)),
    error: (...msg: unknown[]) => child.error(render(msg, secrets)),
    setLevel: () => {},
    getLevel: () => boltLevel(child.level),
    setName: () => {},
  };
}

/** A short, secret-free description of an error for log lines and users (web-api errors carry `data.error`). */
export function errorText(err: unknown, secrets: readonly string[] = []): string {
  const e = err as { data?: { error?: unknown }; code?: unknown; message?: unknown };
  const slackError = typeof e?.data?.error === 'string' ? e.data.error : undefined;
  const msg = slackError ?? (typeof e?.message === 'string' ? e.message : String(err));
  return scrubSecrets(msg, secrets);
}

/** The Slack API error code of a web-api error ("not_in_channel", ...), or undefined. */
export function slackErrorCode(err: unknown): string | undefined {
  const e = err as { data?: { error?: unknown } };
  return typeof e?.data?.error === 'string' ? e.data.error : undefined;
}

const REJECTED_TOKEN = /^(invalid_auth|not_authed|token_revoked|token_expired|account_inactive|no_permission|missing_scope)$/;

/**
 * Why the start-up auth.test failed, as a sentence naming the real cause: Slack unreachable (no
 * answer, refused, DNS, timeout), Slack answering with an HTTP error, or Slack rejecting the token.
 */
export function authFailure(err: unknown, secrets: readonly string[] = []): string {
  const e = err as { code?: unknown; statusCode?: unknown; original?: { code?: unknown; message?: unknown } };
  const code = slackErrorCode(err);
  if (code && REJECTED_TOKEN.test(code))
    return `Slack rejected the bot token (auth.test: ${code}); check SLACK_BOT_TOKEN (xoxb-...) and that the app is installed in the workspace.`;
  if (code) return `Slack refused auth.test (${code}).`;
  if (e?.code === 'slack_webapi_http_error')
    return `Slack answered auth.test with HTTP ${String(e.statusCode)}; it may be having an outage.`;
  if (e?.code === 'slack_webapi_rate_limited_error') return 'Slack rate-limited auth.test.';
  const cause = e?.original?.code ?? e?.original?.message ?? errorText(err, secrets);
  return `Slack is unreachable (${scrubSecrets(String(cause), secrets)}); check this machine's network, proxy and DNS.`;
}
