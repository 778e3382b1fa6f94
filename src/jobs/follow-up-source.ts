// Shared by the bot's process, the inference process and the CLI.
// The input of a follow-up job (U, V, zoom out, pan, or a result used as the image of /sketch or
// /inpaint): a candidate of an earlier job's result,
// referenced by job and candidate rather than copied into a new upload. The process that runs the
// job reads the parent's raw result itself (src/pipeline/parent-input.ts).
import type { CanvasMove } from '../imaging/canvas.ts';
import type { Technique } from './spec.ts';

/** Techniques whose result is one picture per candidate, which follow-ups and new jobs can start from (noise and denoise show strips: reroll only). */
export const PICTURE_TECHNIQUES: readonly Technique[] = ['imagine', 'sketch', 'inpaint', 'anagram', 'hybrid'];

/** Actions that start from a parent's picture: u = upscale, vs / vt = subtle / strong variation, zo15 / zo2 = zoom out 1.5x / 2x, pl pr pu pd = pan left, right, up, down, input = the candidate as it is, as the image of a /sketch or /inpaint with the user's own prompt and mask. */
export const SOURCE_ACTIONS = ['u', 'vs', 'vt', 'zo15', 'zo2', 'pl', 'pr', 'pu', 'pd', 'input'] as const;
export type SourceAction = (typeof SOURCE_ACTIONS)[number];

/** A follow-up's input picture: candidate `candidate` (1-based) of job `parent`, whose result is a grid of `count` candidates, used as `action` says. */
export interface FollowUpSource {
  parent: string;
  candidate: number;
  count: number;
  action: SourceAction;
}

const MOVES: Record<SourceAction, CanvasMove | null> = {
  u: null,
  vs: null,
  vt: null,
  zo15: { zoom: 1.5 },
  zo2: { zoom: 2 },
  pl: { pan: 'left' },
  pr: { pan: 'right' },
  pu: { pan: 'up' },
  pd: { pan: 'down' },
  input: null,
};

/** How an action moves the candidate on its canvas (zoom out, pan: the new border is inpainted); null = the candidate as it is (U, V, input). */
export function moveOf(action: SourceAction): CanvasMove | null {
  return MOVES[action];
}
