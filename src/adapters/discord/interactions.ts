// Who an interaction comes from (the caller checked for access, the owner of the jobs it starts,
// the actor whose rights count) and answering it with text whatever its state.
import { MessageFlags, PermissionFlagsBits, type Interaction, type RepliableInteraction } from 'discord.js';
import type { Actor, JobOwner } from '../../jobs/api.ts';
import { isModerator, type AccessPolicy, type Caller } from './access.ts';
import { textPayload } from './messages.ts';

/** Answers an interaction with text whatever its state (not yet acknowledged, deferred or replied). */
export async function answer(i: RepliableInteraction, text: string, ephemeral = true): Promise<void> {
  const p = textPayload(text);
  if (i.deferred || i.replied) await i.editReply(p);
  else await i.reply({ ...p, ...(ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
}

/** The caller of an interaction, as the access checks see it. */
export function callerOf(i: Interaction): Caller {
  const m = i.member;
  const roleIds = !m ? [] : Array.isArray(m.roles) ? m.roles : [...m.roles.cache.keys()];
  const ch = i.channel;
  const parent = ch && 'isThread' in ch && ch.isThread() ? ch.parentId : null;
  return { userId: i.user.id, guildId: i.guildId ?? null, channelId: i.channelId ?? null, parentChannelId: parent, roleIds };
}

/** The owner of a job an interaction starts. */
export function ownerOf(i: Interaction): JobOwner {
  return { platform: 'discord', userId: i.user.id, ...(i.channelId ? { channelRef: i.channelId } : {}), ...(i.guildId ? { serverId: i.guildId } : {}) };
}

/** The actor of an interaction: a moderator (Manage Messages or ADMIN_USER_IDS) and/or a server admin. */
export function actorOf(policy: AccessPolicy, i: Interaction): Actor {
  const mod = isModerator(policy, i.user.id, i.memberPermissions?.has(PermissionFlagsBits.ManageMessages) ?? false);
  // Server settings and content rules: members who may manage the server (Manage Server), or ADMIN_USER_IDS.
  const serverAdmin = (i.guildId !== null && (i.memberPermissions?.has(PermissionFlagsBits.ManageGuild) ?? false)) || policy.adminUserIds.includes(i.user.id);
  return { userId: i.user.id, isAdmin: mod, platform: 'discord', serverAdmin };
}
