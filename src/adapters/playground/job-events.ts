// A job's progress as server-sent events, and the job look-ups the API routes share.
import type { ServerResponse } from 'node:http';
import { canSeeJob, type JobEvent, type JobRecord } from '../../jobs/api.ts';
import { hidePrivateParents } from '../../jobs/job-privacy.ts';
import { HttpError } from './http-error.ts';
import type { ServerDeps } from './server.ts';
import { eventMessage, jobView, type JobView, type SseMessage } from './views.ts';

/** A job's record as `session` may see it, or 404 not_found (also for another session's private job). */
export async function getRecord(deps: ServerDeps, id: string, session: string): Promise<JobRecord> {
  const rec = await deps.engine.get(id);
  if (!rec || !canSeeJob(rec.owner, { platform: 'playground', userId: session }))
    throw new HttpError(404, `I can't find job ${id}.`, 'not_found');
  return rec;
}

/** A job as the API shows it to `session` (whether its files are still kept is looked up). */
export async function viewOf(deps: ServerDeps, rec: JobRecord, session: string): Promise<JobView> {
  let kept = true;
  if (rec.status === 'done') kept = (await deps.engine.resultFiles(rec.jobId)).ok;
  // A parent that is another session's private job is not named.
  const shown = await hidePrivateParents(rec, { platform: 'playground', userId: session }, (id) => deps.engine.get(id));
  return jobView(shown, session, kept);
}

function writeSse(res: ServerResponse, m: SseMessage, id: number): void {
  res.write(`id: ${id}\nevent: ${m.event}\ndata: ${JSON.stringify(m.data)}\n\n`);
}

/** GET /api/jobs/:id/events: queued (with position), started, progress (step/total, preview), then done, failed or cancelled. */
export async function events(
  ctx: { res: ServerResponse; session: string; deps: ServerDeps },
  id: string,
): Promise<void> {
  const { deps, res } = ctx;
  await getRecord(deps, id, ctx.session);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 2000\n\n');
  let seq = 0;
  let ended = false;
  // Events are written in order even though 'done' needs an async look-up first.
  let chain: Promise<void> = Promise.resolve();
  const finish = () => {
    if (ended) return;
    ended = true;
    off();
    clearInterval(beat);
    deps.streams.delete(finish);
    res.end();
  };
  const push = (e: JobEvent) => {
    chain = chain.then(async () => {
      if (ended) return;
      let view: JobView | undefined;
      if (e.type === 'done') {
        const rec = await deps.engine.get(id);
        if (rec) view = await viewOf(deps, rec, ctx.session);
      }
      if (ended) return;
      writeSse(res, eventMessage(e, view), ++seq);
      if (e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') finish();
    });
  };
  // The engine's snapshot brings the stream up to date in order (of a finished job only its end,
  // from the store when needed); live events follow, with nothing missed in between.
  for (const e of deps.engine.snapshot(id)) push(e);
  const off = deps.engine.subscribe(id, push, { replay: false });
  const beat = setInterval(() => res.write(': keep-alive\n\n'), deps.heartbeatMs);
  beat.unref();
  deps.streams.add(finish);
  // The response's 'close' fires when the client goes away (the request's does not, for a GET).
  res.on('close', finish);
}
