// Runs in the bot's process (and a scale-out front-end).
// What a request about an existing job needs before either engine acts on it (the embedded
// LocalEngine and the scale-out front-end): who may cancel it, and the input of its 🔁 reroll.
import { refusal, type Actor, type EngineRefusal, type JobSpecInput, type SubmitOptions } from '../jobs/api.ts';
import type { LiveJob } from './live-jobs.ts';
import { regenerate } from '../jobs/spec.ts';
import type { StoredJob } from '../store/store.ts';

/**
 * The live job a cancel may stop: only its owner (same platform when the actor names one) or an
 * admin (Actor.isAdmin or ADMIN_USER_IDS) may (another user's private job is not found); a job
 * that already ended is not cancellable.
 */
export function cancelTarget(
  jobId: string,
  live: LiveJob | undefined,
  stored: StoredJob | null,
  by: Actor,
  adminUserIds: readonly string[],
): { ok: true; job: LiveJob } | EngineRefusal {
  if (!live && !stored) return refusal('not_found', `I can't find job ${jobId}.`);
  const owner = live ? live.owner : stored!.owner;
  const isAdmin = by.isAdmin || adminUserIds.includes(by.userId);
  const isOwner = owner.userId === by.userId && (by.platform === undefined || by.platform === owner.platform);
  // Another user's private job reads as absent.
  if (owner.private && !isOwner && !isAdmin) return refusal('not_found', `I can't find job ${jobId}.`);
  if (!isOwner && !isAdmin)
    return refusal('forbidden', 'Only the person who asked for that job (or an admin) can cancel it.');
  if (!live)
    return refusal('not_cancellable', `Job ${jobId} already ${stored!.status === 'done' ? 'finished' : stored!.status}.`);
  return { ok: true, job: live };
}

/** The submit of a job's 🔁 reroll: its spec with a new seed, naming the job as its parent. */
export function rerollOf(
  jobId: string,
  stored: StoredJob | null,
  seed?: number,
): { ok: true; input: JobSpecInput; options: SubmitOptions } | EngineRefusal {
  if (!stored) return refusal('not_found', `I can't find job ${jobId}.`);
  return { ok: true, input: { ...regenerate(stored.spec, seed), from: { jobId, action: 'reroll' } }, options: { parentId: jobId } };
}
