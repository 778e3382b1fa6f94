// Private jobs on Discord: which interactions start one (the command's `private` option, else the
// user's or server's /settings; a button pressed on an ephemeral result), and the ephemeral flag
// that keeps their replies to the caller.
import { MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { wantsPrivate } from '../../../commands/job-defaults.ts';
import type { Engine, JobOwner } from '../../jobs/api.ts';

/** The deferReply options of a reply that only the caller sees, or of a public one. */
export function deferFlags(ephemeral: boolean): { flags?: MessageFlags.Ephemeral } {
  return ephemeral ? { flags: MessageFlags.Ephemeral } : {};
}

/** Whether a generating slash command answers only its caller. */
export function commandIsPrivate(engine: Engine, owner: JobOwner, i: ChatInputCommandInteraction): boolean {
  const given = i.options.getBoolean('private');
  return wantsPrivate(engine, owner, given === null ? {} : { private: given });
}

/** Whether a button's new job is private: pressed on a private (ephemeral) result, or the user's settings say so. */
export function buttonIsPrivate(engine: Engine, owner: JobOwner, i: ButtonInteraction): boolean {
  return i.message.flags.has(MessageFlags.Ephemeral) || wantsPrivate(engine, owner, {});
}
