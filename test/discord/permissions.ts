// What Discord checks before a bot's channel call: the permissions each route the bot uses needs
// (for the fake's optional strict mode, `botPermissions`). Missing ones answer 403 with code 50013.
import { PermissionFlagsBits as P } from 'discord.js';

export const MISSING_PERMISSIONS = { message: 'Missing Permissions', code: 50013 };

/** The permissions a bot call on a channel route needs; null for routes that check none here. */
export function permissionsFor(
  method: string,
  path: string,
  json: Record<string, unknown> | null,
  fileCount: number,
): bigint | null {
  const m = /^\/channels\/\d+(\/messages(?:\/\d+)?)?$/.exec(path);
  if (!m) return null;
  if (!m[1]) return P.ViewChannel;
  const one = /\/messages\/\d+$/.test(path);
  if (method === 'GET') return P.ViewChannel | P.ReadMessageHistory;
  if (method === 'POST' && !one) {
    let need = P.ViewChannel | P.SendMessages;
    if (fileCount > 0) need |= P.AttachFiles;
    if (json?.message_reference) need |= P.ReadMessageHistory;
    if (Array.isArray(json?.embeds) && json.embeds.length > 0) need |= P.EmbedLinks;
    return need;
  }
  // Editing or deleting the bot's own message: only the channel must be visible.
  if (fileCount > 0) return P.ViewChannel | P.AttachFiles;
  return P.ViewChannel;
}
