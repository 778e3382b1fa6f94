// Runs in the bot's process (and `npm run deploy:discord`).
// The channel permissions the bot needs, each with the calls that need it, and the invite URL
// that asks for exactly these (scopes bot + applications.commands). Replies to slash commands go
// through the interaction's webhook and need none of them; what does: 🔁 (it reads the result
// message and posts the new job as a reply in the channel) and results that arrive after the
// 15-minute interaction token (posted in the channel).
import { PermissionFlagsBits } from 'discord.js';

export const BOT_PERMISSIONS = {
  ViewChannel: 'see the channel of a 🔁 and of a result posted after the interaction token expired',
  SendMessages: 'post the status message of a 🔁 job and late results in the channel',
  AttachFiles: 'attach the PNG, the GIF and previews to those messages',
  ReadMessageHistory: 'fetch the result message a 🔁 was put on, and reply to it',
} as const satisfies Partial<Record<keyof typeof PermissionFlagsBits, string>>;

/** The permission integer of the invite URL. */
export const BOT_PERMISSION_BITS: bigint = Object.keys(BOT_PERMISSIONS).reduce(
  (sum, name) => sum | PermissionFlagsBits[name as keyof typeof PermissionFlagsBits],
  0n,
);

/** The URL that adds the bot to a server with its slash commands and exactly the permissions above. */
export function inviteUrl(appId: string): string {
  const q = new URLSearchParams({
    client_id: appId,
    scope: 'bot applications.commands',
    permissions: BOT_PERMISSION_BITS.toString(),
  });
  return `https://discord.com/oauth2/authorize?${q.toString()}`;
}
