// Buttons under results: follow-ups (U n, V n, zoom out, pan: stateless act: ids resolved through
// the store), 🔁 new seed, info (to the presser only), cancel and delete. Each is acknowledged first, then its job starts
// through the adapter (startOrRefuse), answered under the button's message.
import { MessageFlags, type ButtonInteraction, type RepliableInteraction } from 'discord.js';
import type { Engine, SubmitResult } from '../../jobs/api.ts';
import { actionLabel, followUp, type FollowUpAction } from '../../engine/follow-ups.ts';
import { parseActionId } from '../presentation/follow-up-buttons.ts';
import { checkAccess, type AccessPolicy } from './access.ts';
import { actorOf, answer, callerOf, ownerOf } from './interactions.ts';
import { parseCustomId } from './messages.ts';
import { buttonIsPrivate, deferFlags } from './privacy.ts';
import type { ReplyTarget } from './targets.ts';

/** What the buttons need of the adapter. */
export interface ButtonHost {
  engine: Engine;
  policy: AccessPolicy;
  /** Follows the job of `res` in `target`, or shows its refusal there. */
  startOrRefuse(res: SubmitResult, target: ReplyTarget, note: string): Promise<void>;
  /** The interaction's reply as a target (a private job falls back to a direct message). */
  interactionTarget(i: RepliableInteraction, privateJob: boolean): ReplyTarget;
  /** The text of /info of `jobId` as the presser may see it. */
  infoText(i: ButtonInteraction, jobId: string): Promise<string>;
}

/** Handles a button of this bot (others are ignored). */
export async function onButton(host: ButtonHost, i: ButtonInteraction): Promise<void> {
  const act = parseActionId(i.customId);
  if (act) return onFollowUp(host, i, act);
  const parsed = parseCustomId(i.customId);
  if (!parsed) return;
  const { engine } = host;
  const access = checkAccess(host.policy, callerOf(i));
  if (!access.ok) return answer(i, access.message);
  const { action, jobId } = parsed;

  if (action === 'regen') {
    const priv = buttonIsPrivate(engine, ownerOf(i), i);
    await i.deferReply(deferFlags(priv));
    const res = await engine.regenerate(jobId, ownerOf(i));
    return host.startOrRefuse(res, host.interactionTarget(i, priv), `🔁 new seed of job \`${jobId}\``);
  }
  if (action === 'info') {
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    return answer(i, await host.infoText(i, jobId));
  }
  if (action === 'cancel') {
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    const res = await engine.cancel(jobId, actorOf(host.policy, i));
    return answer(i, res.ok ? `Cancelled job \`${jobId}\`.` : res.message);
  }
  // delete: the requester or a moderator.
  const job = await engine.get(jobId);
  const requester = job?.owner.platform === 'discord' && job.owner.userId === i.user.id;
  if (!requester && !actorOf(host.policy, i).isAdmin) {
    return answer(i, 'Only the person who asked for this image, or a moderator, can delete it.');
  }
  await i.deferUpdate();
  await i.message.delete();
}

/** A follow-up button (U n, V n, zoom out, pan): a new job from the stored parent, answered under the button's message. */
async function onFollowUp(
  host: ButtonHost,
  i: ButtonInteraction,
  act: { jobId: string; action: FollowUpAction; n: number },
): Promise<void> {
  const access = checkAccess(host.policy, callerOf(i));
  if (!access.ok) return answer(i, access.message);
  const priv = buttonIsPrivate(host.engine, ownerOf(i), i);
  await i.deferReply(deferFlags(priv));
  const res = await followUp(host.engine, act.jobId, act.action, act.n, ownerOf(i));
  return host.startOrRefuse(
    res,
    host.interactionTarget(i, priv),
    `${actionLabel(act.action, act.n)} of job \`${act.jobId}\``,
  );
}
