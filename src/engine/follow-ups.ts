// Runs in the bot's process (and a scale-out front-end).
// Follow-ups of a finished job, the actions under every result: U n (that candidate alone, with a
// low-noise SDEdit pass that adds detail; small pixel models upscale 2x, pipeline/upscale.ts), V n (a variation: SDEdit of that candidate, subtle or
// strong, with a new seed), reroll (the same job with a new seed), zoom out 1.5x / 2x and pan a
// quarter left, right, up or down (the candidate moved on its canvas, the new border inpainted
// with the job's prompt). Each is a new job whose spec names its parent (spec.from) and is
// recorded as the parent's child; its input is a reference to the parent's candidate
// (spec.source), which the inference process reads and cuts itself: no pixel is handled here.
// The buttons that offer them are the adapters' (adapters/presentation/follow-up-buttons.ts).
import { canSeeJob, refusal, type Engine, type JobOwner, type SubmitResult } from '../jobs/api.ts';
import { moveOf, PICTURE_TECHNIQUES, type SourceAction } from '../jobs/follow-up-source.ts';
import { candidateSeeds, countOf, randomSeed, regenerate } from '../jobs/spec.ts';

/** The actions: u = upscale, vs / vt = subtle / strong variation, re = reroll, zo15 / zo2 = zoom out, pl pr pu pd = pan. */
export const FOLLOW_UP_ACTIONS = ['u', 'vs', 'vt', 're', 'zo15', 'zo2', 'pl', 'pr', 'pu', 'pd'] as const;
export type FollowUpAction = (typeof FOLLOW_UP_ACTIONS)[number];

export { PICTURE_TECHNIQUES } from '../jobs/follow-up-source.ts';

/** Share of the steps the U pass denoises (t about 150 of 1000 at 33 steps): detail, not a new picture. */
const UPSCALE_SHARE = 0.15;
/** Start index of a variation at 33 steps: subtle = the study's noise level 20 (t = 390), strong = 10 (t = 690). */
const VARIATION_LEVEL = { vs: 20, vt: 10 } as const;

/** How a follow-up is named in captions and logs: "U2", "V3 subtle", "reroll", "zoom out 2x", "pan left". */
export function actionLabel(action: FollowUpAction, n = 1): string {
  switch (action) {
    case 'u':
      return `U${n}`;
    case 'vs':
      return `V${n} subtle`;
    case 'vt':
      return `V${n} strong`;
    case 're':
      return 'reroll';
    case 'zo15':
      return 'zoom out 1.5x';
    case 'zo2':
      return 'zoom out 2x';
    default:
      return `pan ${(moveOf(action as SourceAction) as { pan: string }).pan}`;
  }
}

/** What followUp needs of an engine (any backend). */
export type FollowUpEngine = Pick<Engine, 'get' | 'submit' | 'resultFiles'>;

/** Runs a follow-up of job `jobId` for `owner`: builds the new spec from the stored parent and submits it as its child. */
export async function followUp(
  engine: FollowUpEngine,
  jobId: string,
  action: FollowUpAction,
  n: number,
  owner: JobOwner,
): Promise<SubmitResult> {
  const parent = await engine.get(jobId);
  // Another user's private job reads as absent (a forged action id too); a private job's follow-ups are private.
  if (!parent || !canSeeJob(parent.owner, owner)) return refusal('not_found', `I can't find job ${jobId}.`);
  if (parent.owner.private) owner = { ...owner, private: true };
  const from = { jobId, action: actionLabel(action, n) };
  if (action === 're') return engine.submit({ ...regenerate(parent.spec), from }, owner, { parentId: jobId });
  if (!PICTURE_TECHNIQUES.includes(parent.spec.technique))
    return refusal('invalid_spec', `A ${parent.spec.technique} result can only be rerolled.`);
  const result = parent.result;
  if (parent.status !== 'done' || !result)
    return refusal('no_result', `Job ${jobId} has no result yet; try again when it has finished.`);
  const count = countOf(result.spec);
  if (n < 1 || n > count) return refusal('invalid_spec', `Job ${jobId} has no image ${n}.`);
  // An upscale of an upscale starts from the model's size again and ends where its parent is.
  if (action === 'u' && count === 1 && result.spec.upscale)
    return refusal('invalid_spec', `Job ${jobId} is already an upscale; another one would not make it larger. Try Vary instead.`);
  // The picture must still be stored; the inference process reads it (pipeline/parent-input.ts).
  const files = await engine.resultFiles(jobId);
  if (!files.ok) return files;
  const source = { parent: jobId, candidate: n, count, action: action as SourceAction };
  const steps = result.spec.steps;
  // What carries over: the prompt and how the parent ran (model, steps, guidance, sampler, negative).
  const carried: Record<string, unknown> = {
    prompt: parent.spec.prompt,
    negative: parent.spec.negative,
    steps: parent.spec.steps,
    guidance: parent.spec.guidance,
    sampler: parent.spec.sampler,
    model: parent.spec.model,
    from,
  };
  if (moveOf(source.action)) {
    if (!parent.spec.prompt)
      return refusal(
        'invalid_spec',
        'This job has no prompt to paint the new border with; use /inpaint with one.',
      );
    // The candidate moved on its canvas, the new border inpainted with the prompt.
    return engine.submit({ ...carried, technique: 'inpaint', source, seed: randomSeed() }, owner, {
      parentId: jobId,
    });
  }
  const noiseLevel =
    action === 'u'
      ? Math.max(0, steps - Math.max(1, Math.round(steps * UPSCALE_SHARE)))
      : Math.min(steps - 1, Math.round((VARIATION_LEVEL[action as 'vs' | 'vt'] * steps) / 33));
  // U keeps the candidate's own seed (the same picture, refined); V draws a new one.
  const seed = action === 'u' ? candidateSeeds(result.spec)[n - 1] : randomSeed();
  const spec = {
    ...carried,
    technique: 'sketch',
    source,
    noiseLevel,
    seed,
    ...(action === 'u' ? { upscale: true } : {}),
  };
  return engine.submit(spec, owner, { parentId: jobId });
}
