// Public API of the Discord adapter.
export { DiscordAdapter, startDiscord, REGENERATE_EMOJI, type DiscordAdapterOptions } from './adapter.ts';
export { commandDefinitions, slashCommand, type BuildOptions } from './builders.ts';
export { registerCommands, type RegisterOptions } from './register.ts';
export { createDiscordClient, type ClientSettings } from './client.ts';
export { checkAccess, inAllowedChannel, isModerator, type AccessPolicy, type Caller, type AccessResult } from './access.ts';
export {
  AttachmentError,
  checkAttachment,
  downloadAttachment,
  DEFAULT_ATTACHMENT_POLICY,
  DISCORD_ATTACHMENT_HOSTS,
  IMAGE_CONTENT_TYPES,
  type AttachmentInfo,
  type AttachmentPolicy,
} from './attachments.ts';
export { customId, parseCustomId, jobIdOfMessage, NO_MENTIONS, type ButtonAction, type Payload } from './messages.ts';
export { BOT_PERMISSIONS, BOT_PERMISSION_BITS, inviteUrl } from './permissions.ts';
export { restOptions } from './rest-base.ts';
export { scrub, safeError } from './safe-log.ts';
