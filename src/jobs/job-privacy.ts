// Runs in the bot's process (and a scale-out front-end).
// A job as one viewer may see it: the ids of the jobs it follows up or rerolls (its parentId, and
// the job named in its spec's `from` and `source`, in the spec it was given and the one it ran) are
// hidden where that job is another user's private one, so a public job never leads to a private
// job's id.
import { canSeeJob, type JobRecord, type JobSpec, type JobViewer } from './api.ts';

/** What stands for a parent's id the viewer may not see. */
export const HIDDEN_JOB_ID = 'private';

/** The ids of the jobs a record names as its parents. */
function parentIds(rec: JobRecord): Set<string> {
  const ids = new Set<string>();
  for (const spec of [rec.spec, rec.result?.spec]) {
    if (spec?.from?.jobId) ids.add(spec.from.jobId);
    if (spec?.source?.parent) ids.add(spec.source.parent);
  }
  if (rec.parentId) ids.add(rec.parentId);
  return ids;
}

/** `rec` with each parent id that names another user's private job (for `viewer`) replaced by HIDDEN_JOB_ID; `rec` itself when there is none. */
export async function hidePrivateParents(
  rec: JobRecord,
  viewer: JobViewer,
  get: (jobId: string) => Promise<JobRecord | null>,
): Promise<JobRecord> {
  const hidden = new Set<string>();
  for (const id of parentIds(rec)) {
    const parent = id === rec.jobId ? rec : await get(id);
    if (parent && !canSeeJob(parent.owner, viewer)) hidden.add(id);
  }
  if (hidden.size === 0) return rec;
  const out = structuredClone(rec);
  const hide = (spec: JobSpec | undefined) => {
    if (spec?.from && hidden.has(spec.from.jobId)) spec.from.jobId = HIDDEN_JOB_ID;
    if (spec?.source && hidden.has(spec.source.parent)) spec.source.parent = HIDDEN_JOB_ID;
  };
  hide(out.spec);
  hide(out.result?.spec);
  if (out.parentId && hidden.has(out.parentId)) out.parentId = HIDDEN_JOB_ID;
  return out;
}
