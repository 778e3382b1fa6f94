// Who may use the bot where: channel and role allowlists, direct messages, and who counts as a
// moderator (for deleting someone else's result). Plain data in, a user-facing answer out.

/** The access settings (from config.discord plus ADMIN_USER_IDS). */
export interface AccessPolicy {
  allowedChannels: readonly string[];
  allowedRoles: readonly string[];
  allowDms: boolean;
  adminUserIds: readonly string[];
}

/** Who acts, and where. */
export interface Caller {
  userId: string;
  /** null in direct messages. */
  guildId: string | null;
  channelId: string | null;
  /** The parent channel of a thread, so an allowed channel covers its threads. */
  parentChannelId?: string | null;
  roleIds: readonly string[];
}

export type AccessResult = { ok: true } | { ok: false; message: string };

/** Whether the caller's channel (or a thread's parent) is on the channel allowlist; an empty list allows every channel. */
export function inAllowedChannel(policy: AccessPolicy, caller: Caller): boolean {
  if (policy.allowedChannels.length === 0) return true;
  return [caller.channelId, caller.parentChannelId].some((c) => !!c && policy.allowedChannels.includes(c));
}

/** Applies the DM switch, the channel allowlist and the role allowlist (admins pass the role check). */
export function checkAccess(policy: AccessPolicy, caller: Caller): AccessResult {
  if (caller.guildId === null) {
    return policy.allowDms ? { ok: true } : { ok: false, message: 'I only work in server channels, not in direct messages.' };
  }
  if (!inAllowedChannel(policy, caller)) {
    return { ok: false, message: 'I am not enabled in this channel; ask a moderator which channel to use.' };
  }
  if (policy.allowedRoles.length > 0 && !policy.adminUserIds.includes(caller.userId)) {
    if (!caller.roleIds.some((r) => policy.allowedRoles.includes(r))) {
      return { ok: false, message: 'You need one of the roles allowed to use me; ask a moderator.' };
    }
  }
  return { ok: true };
}

/** A moderator: an admin from config, or a member with the Manage Messages permission in the channel. */
export function isModerator(policy: AccessPolicy, userId: string, canManageMessages: boolean): boolean {
  return canManageMessages || policy.adminUserIds.includes(userId);
}
