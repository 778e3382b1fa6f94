// Runs in the bot's process (and a scale-out front-end).
// A result used as the input of /sketch or /inpaint ("job:<id> candidate:<n>" instead of an
// attached image): the new job's spec references candidate n of the earlier job (spec.source with
// action 'input', the candidate as it is) and names it as its parent (spec.from, the parent's
// child); the inference process reads the parent's raw result itself (pipeline/parent-input.ts),
// so nothing is uploaded again. The user's own prompt, noise level and mask (a new upload) apply.
import { canSeeJob, refusal, type JobOwner, type JobSpecInput, type SubmitResult } from '../jobs/api.ts';
import type { FollowUpSource } from '../jobs/follow-up-source.ts';
import { countOf } from '../jobs/spec.ts';
import { PICTURE_TECHNIQUES, type FollowUpEngine } from './follow-ups.ts';

/** What a job needs to start from a result: its spec's source and from, the parent to record it under, and whether it must be private (a private parent's child is). */
export interface ResultInput {
  ok: true;
  source: FollowUpSource;
  from: { jobId: string; action: string };
  parentId: string;
  private: boolean;
}

/** How the parent is named in captions, /info and the history: "image 2 as input". */
export function inputLabel(candidate: number): string {
  return `image ${candidate} as input`;
}

/**
 * Checks that candidate `candidate` of job `jobId` can be the image of a new job of `owner` and
 * says how to reference it: the job exists and `owner` may see it (another user's private job
 * reads as absent), it finished with a picture result, it has that candidate, and its picture is
 * still stored. `hasImage`: the request also attached an image (refused: one or the other).
 */
export async function resultInput(
  engine: FollowUpEngine,
  jobId: string,
  candidate: number,
  owner: JobOwner,
  hasImage = false,
): Promise<ResultInput | Extract<SubmitResult, { ok: false }>> {
  if (hasImage)
    return refusal('invalid_spec', 'Give either an image or a job to start from, not both.');
  const id = jobId.trim().toLowerCase();
  if (!/^[a-z0-9]{1,64}$/.test(id)) return refusal('not_found', `I can't find job ${jobId}.`);
  const parent = await engine.get(id);
  if (!parent || !canSeeJob(parent.owner, owner)) return refusal('not_found', `I can't find job ${id}.`);
  if (!PICTURE_TECHNIQUES.includes(parent.spec.technique))
    return refusal('invalid_spec', `Job ${id} is a ${parent.spec.technique} strip, not a picture; start from a picture result.`);
  const result = parent.result;
  if (parent.status === 'failed' || parent.status === 'cancelled')
    return refusal('no_result', `Job ${id} ${parent.status === 'failed' ? 'failed' : 'was cancelled'}, so it has no picture to start from.`);
  if (parent.status !== 'done' || !result)
    return refusal('no_result', `Job ${id} has no result yet; try again when it has finished.`);
  const count = countOf(result.spec);
  if (!Number.isInteger(candidate) || candidate < 1 || candidate > count)
    return refusal(
      'invalid_spec',
      `Job ${id} has no image ${candidate}: ${count === 1 ? 'it has one (candidate 1)' : `its candidates are 1 to ${count}`}.`,
    );
  // The picture must still be stored; the inference process reads it.
  const files = await engine.resultFiles(id);
  if (!files.ok)
    return files.code === 'no_result'
      ? refusal('no_result', `The picture of job ${id} is no longer stored; attach the image instead.`)
      : files;
  return {
    ok: true,
    source: { parent: id, candidate, count, action: 'input' },
    from: { jobId: id, action: inputLabel(candidate) },
    parentId: id,
    private: parent.owner.private === true,
  };
}

/** Submits `input` (a sketch or inpaint spec without an image) for `owner` on candidate `candidate` of job `jobId`: the engine-level form of `/sketch job:<id> candidate:<n>`. */
export async function submitOnResult(
  engine: FollowUpEngine,
  jobId: string,
  candidate: number,
  input: JobSpecInput,
  owner: JobOwner,
): Promise<SubmitResult> {
  const ref = await resultInput(engine, jobId, candidate, owner, input.image !== undefined && input.image !== '');
  if (!ref.ok) return ref;
  const who = ref.private ? { ...owner, private: true } : owner;
  return engine.submit({ ...input, source: ref.source, from: ref.from }, who, { parentId: ref.parentId });
}
