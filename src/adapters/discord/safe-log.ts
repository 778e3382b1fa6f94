// Error details fit for a log line: Discord API errors carry request URLs that hold interaction
// tokens, and messages may echo a bot token; both are cut out.

const TOKEN_IN_PATH = /\/(interactions\/\d+|webhooks\/\d+)\/[^/?\s]+/g;
const BOT_TOKEN = /[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}/g;

/** Removes interaction/webhook tokens from URLs and anything shaped like a bot token. */
export function scrub(text: string): string {
  return text.replace(TOKEN_IN_PATH, '/$1/[token]').replace(BOT_TOKEN, '[token]');
}

/** The loggable parts of an error: name, Discord code and HTTP status, a scrubbed message. Never the request. */
export function safeError(err: unknown): { name: string; code?: number | string; status?: number; message: string } {
  if (!(err instanceof Error)) return { name: 'Error', message: scrub(String(err)) };
  const e = err as Error & { code?: number | string; status?: number };
  const out: { name: string; code?: number | string; status?: number; message: string } = { name: e.name, message: scrub(e.message) };
  if (e.code !== undefined) out.code = e.code;
  if (typeof e.status === 'number') out.status = e.status;
  return out;
}

/** Discord error codes meaning an interaction token can no longer be used (expired or unknown). */
export const EXPIRED_TOKEN_CODES: readonly number[] = [10015, 10062, 50027];

/** Whether an error says the interaction token is expired or unknown. */
export function isExpiredToken(err: unknown): boolean {
  const e = err as { code?: unknown; status?: unknown };
  return (typeof e?.code === 'number' && EXPIRED_TOKEN_CODES.includes(e.code)) || e?.status === 401;
}
