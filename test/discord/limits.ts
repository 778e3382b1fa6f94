// What Discord's REST API refuses in a message body, as the fake Discord checks it: content over
// 2000 characters, more than 5 action rows or 5 buttons in a row, a custom_id over 100 characters,
// a button label over 80, more than 10 attachments (HTTP 400, code 50035 "Invalid Form Body" with
// its nested `errors` object), and a file over the upload limit (HTTP 413, code 40005). Also the
// 429 answer of a rate limit, with the body and headers @discordjs/rest reads.
import type { UploadedFile } from './fake-discord.ts';

/** Discord's documented limits (Message resource, Component reference, file uploads). */
export const DISCORD_LIMITS = {
  content: 2000,
  actionRows: 5,
  buttonsPerRow: 5,
  customId: 100,
  buttonLabel: 80,
  attachments: 10,
  attachmentDescription: 1024,
  /** Default upload limit per file for a bot (10 MiB). */
  fileBytes: 10 * 1024 * 1024,
} as const;

/** An error answer: HTTP status and JSON body. */
export type ApiError = [status: number, body: Record<string, unknown>];

type ErrorTree = { [key: string]: ErrorTree | { code: string; message: string }[] };

function maxLength(n: number) {
  return [{ code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${n} or fewer in length.` }];
}

/** Puts `_errors` at `path` of the nested errors object, as Discord reports a field. */
function put(tree: ErrorTree, path: (string | number)[], errors: { code: string; message: string }[]): void {
  let node = tree;
  for (const key of path) node = (node[String(key)] ??= {}) as ErrorTree;
  node._errors = errors;
}

/**
 * Checks a message payload (create or edit) and its uploads against Discord's limits:
 * null when Discord would accept it, else the error answer Discord gives.
 */
export function checkMessage(payload: Record<string, unknown>, files: UploadedFile[], maxFileBytes: number = DISCORD_LIMITS.fileBytes): ApiError | null {
  const tooLarge = files.find((f) => f.data.length > maxFileBytes);
  if (tooLarge) return [413, { message: 'Request entity too large', code: 40005 }];
  const errors: ErrorTree = {};
  if (typeof payload.content === 'string' && [...payload.content].length > DISCORD_LIMITS.content) put(errors, ['content'], maxLength(DISCORD_LIMITS.content));
  const rows = payload.components;
  if (Array.isArray(rows)) {
    if (rows.length > DISCORD_LIMITS.actionRows) put(errors, ['components'], maxLength(DISCORD_LIMITS.actionRows));
    rows.forEach((row: { type?: number; components?: Record<string, unknown>[] }, i) => {
      const items = row?.components ?? [];
      if (row?.type === 1 && items.length > DISCORD_LIMITS.buttonsPerRow) put(errors, ['components', i, 'components'], maxLength(DISCORD_LIMITS.buttonsPerRow));
      items.forEach((c, j) => {
        if (typeof c.custom_id === 'string' && c.custom_id.length > DISCORD_LIMITS.customId) put(errors, ['components', i, 'components', j, 'custom_id'], maxLength(DISCORD_LIMITS.customId));
        if (typeof c.label === 'string' && [...c.label].length > DISCORD_LIMITS.buttonLabel) put(errors, ['components', i, 'components', j, 'label'], maxLength(DISCORD_LIMITS.buttonLabel));
      });
    });
  }
  const attachments = payload.attachments;
  const count = Math.max(files.length, Array.isArray(attachments) ? attachments.length : 0);
  if (count > DISCORD_LIMITS.attachments) put(errors, ['attachments'], maxLength(DISCORD_LIMITS.attachments));
  if (Array.isArray(attachments)) {
    attachments.forEach((a: { description?: unknown }, i) => {
      if (typeof a?.description === 'string' && a.description.length > DISCORD_LIMITS.attachmentDescription) put(errors, ['attachments', i, 'description'], maxLength(DISCORD_LIMITS.attachmentDescription));
    });
  }
  return Object.keys(errors).length > 0 ? [400, { code: 50035, errors, message: 'Invalid Form Body' }] : null;
}

/** A rate limit the fake answers: body and headers of Discord's 429. */
export function rateLimitAnswer(retryAfterS: number, bucket: string, global = false): { body: Record<string, unknown>; headers: Record<string, string> } {
  const headers: Record<string, string> = {
    'retry-after': String(retryAfterS),
    'x-ratelimit-limit': '5',
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': String((Date.now() / 1000 + retryAfterS).toFixed(3)),
    'x-ratelimit-reset-after': String(retryAfterS),
    'x-ratelimit-bucket': bucket,
    'x-ratelimit-scope': global ? 'global' : 'user',
  };
  if (global) headers['x-ratelimit-global'] = 'true';
  return { body: { message: 'You are being rate limited.', retry_after: retryAfterS, global }, headers };
}
