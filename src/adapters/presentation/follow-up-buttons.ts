// The buttons under a result, as every chat adapter shows them: their stateless ids
// ("act:<jobId>:<action>:<n>", resolved through the job store when pressed, so buttons on old
// messages keep working), labels and rows. What each action does is the engine's (engine/follow-ups.ts).
import { countOf, type JobSpec } from '../../jobs/spec.ts';
import {
  actionLabel,
  FOLLOW_UP_ACTIONS,
  PICTURE_TECHNIQUES,
  type FollowUpAction,
} from '../../engine/follow-ups.ts';

/** The stateless id of an action button: "act:<jobId>:<action>:<n>" (n = 1-based candidate). */
export function actionId(jobId: string, action: FollowUpAction, n = 1): string {
  return `act:${jobId}:${action}:${n}`;
}

/** Parses an id made by actionId; null for anything else. */
export function parseActionId(id: string): { jobId: string; action: FollowUpAction; n: number } | null {
  const m = /^act:([a-z0-9]{1,64}):([a-z0-9]{1,8}):([1-4])$/.exec(id);
  if (!m || !(FOLLOW_UP_ACTIONS as readonly string[]).includes(m[2])) return null;
  return { jobId: m[1], action: m[2] as FollowUpAction, n: Number(m[3]) };
}

/** One button of a result: its stateless id, its label, and the action it runs. */
export interface ActionButton {
  id: string;
  /** Short label for chat buttons (may be an emoji: 🔁, ⬅). */
  label: string;
  /** The same in words, for places without an emoji font (the playground) and screen readers. */
  words: string;
  action: FollowUpAction;
  n: number;
}

/**
 * The buttons under a finished job, in rows of at most 5: with several candidates U1..Un, V1..Vn
 * (strong) and reroll; with one, U (unless it is an upscale already: another would not grow it),
 * V subtle, V strong and reroll, zoom out 1.5x and 2x, and the four pans. Strips (noise, denoise)
 * get reroll only.
 */
export function actionRows(jobId: string, spec: Pick<JobSpec, 'technique' | 'count' | 'upscale'>): ActionButton[][] {
  const b = (action: FollowUpAction, n: number, label: string): ActionButton => ({
    id: actionId(jobId, action, n),
    label,
    words: /^[\w ().]+$/.test(label) ? label : actionLabel(action, n).replace(/^\w/, (c) => c.toUpperCase()),
    action,
    n,
  });
  const reroll = b('re', 1, '🔁');
  if (!PICTURE_TECHNIQUES.includes(spec.technique)) return [[reroll]];
  const count = countOf(spec);
  if (count > 1) {
    const ns = Array.from({ length: count }, (_, i) => i + 1);
    return [ns.map((n) => b('u', n, `U${n}`)), ns.map((n) => b('vt', n, `V${n}`)), [reroll]];
  }
  return [
    [...(spec.upscale ? [] : [b('u', 1, 'Upscale')]), b('vs', 1, 'Vary (subtle)'), b('vt', 1, 'Vary (strong)'), reroll],
    [b('zo15', 1, 'Zoom out 1.5x'), b('zo2', 1, 'Zoom out 2x')],
    [b('pl', 1, '⬅'), b('pr', 1, '➡'), b('pu', 1, '⬆'), b('pd', 1, '⬇')],
  ];
}
