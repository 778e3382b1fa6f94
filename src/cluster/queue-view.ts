// Runs in the bot's process (scale-out front-end) and the scale-out worker.
// The front-end's view of its held jobs as a queue: running first, then waiting jobs oldest first,
// each waiting job's estimate being the sum of those ahead of it (the workers' parallelism aside).
import type { QueueEntry } from '../jobs/api.ts';
import { type LiveJob } from '../engine/index.ts';

/** Queue entries of held jobs; `estimate` gives one job's expected run time in ms. */
export function queueEntries(held: readonly LiveJob[], estimate: (job: LiveJob) => number): QueueEntry[] {
  const jobs = [...held].sort(
    (x, y) => Number(y.startedAt !== null) - Number(x.startedAt !== null) || x.createdAt - y.createdAt,
  );
  let waited = 0;
  return jobs.map((j, position) => {
    const entry: QueueEntry = {
      jobId: j.jobId,
      owner: j.owner,
      technique: j.spec.technique,
      status: j.startedAt !== null ? 'running' : 'queued',
      position,
      createdAt: j.createdAt,
      estimatedWaitMs: j.startedAt !== null ? 0 : waited,
    };
    if (j.startedAt === null) waited += estimate(j);
    return entry;
  });
}
