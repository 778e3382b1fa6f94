// What the JSON HTTP API shows of jobs, events and command replies: plain data with links,
// never a file path on the server and never another browser's session id.
import { buildCaption, captionParts, type CaptionParts, type CommandReply } from '../../../commands/index.ts';
import type { JobEvent, JobRecord, JobSpec, JobStatus, JobTimings, PromptReport } from '../../jobs/api.ts';
import { actionRows } from '../presentation/follow-up-buttons.ts';
import type { UnderstoodConcept } from '../../runtime/types.ts';

/** Links of one job, relative to the server root. */
export interface JobLinks {
  self: string;
  events: string;
  regenerate: string;
  /** Final image (present once the job is done and its files are kept). */
  image?: string;
  /** The image at the model's own resolution. */
  rawImage?: string;
  /** Trajectory GIF (present once done, when the technique has frames). */
  gif?: string;
}

/** The result of a finished job, as the API shows it. */
export interface ResultView {
  seed: number;
  steps: number;
  guidance: number;
  model: string;
  width: number;
  height: number;
  gifFrames: number;
  gifBytes: number;
  prompts: PromptReport[];
  understood: UnderstoodConcept[];
  unknown: string[];
}

/** A job as GET /api/jobs/:id returns it. */
export interface JobView {
  jobId: string;
  status: JobStatus;
  technique: JobSpec['technique'];
  spec: JobSpec;
  /** The command line that asks for this job again, e.g. "/imagine a rocket ship --seed 3". */
  command: string;
  /** Whether the asking browser session submitted it. */
  mine: boolean;
  parentId: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Queue position while queued (0 = next). */
  position: number | null;
  error: string | null;
  timings: JobTimings | null;
  result: ResultView | null;
  /** Caption of a finished job as plain text, and its parts for layout. */
  caption: string | null;
  captionParts: CaptionParts | null;
  links: JobLinks;
  /** Follow-up buttons of a finished job in rows (U n, V n, 🔁, zoom out, pan): POST each `url`. */
  actions: ActionView[][];
}

/** One follow-up button: the stateless id ("act:<jobId>:<action>:<n>"), its label and the API path that runs it. */
export interface ActionView {
  id: string;
  label: string;
  url: string;
}

/** The follow-up buttons of a finished job with its files kept (none otherwise); reroll is the page's own new-seed button. */
export function actionViews(rec: JobRecord, filesKept: boolean): ActionView[][] {
  if (rec.status !== 'done' || !rec.result || !filesKept) return [];
  return actionRows(rec.jobId, rec.result.spec)
    .map((row) =>
      row
        .filter((b) => b.action !== 're')
        .map((b) => ({ id: b.id, label: b.words, url: `/api/jobs/${rec.jobId}/actions/${b.action}/${b.n}` })),
    )
    .filter((row) => row.length > 0);
}

/** The API paths of a job. */
export function jobLinks(jobId: string, withFiles: boolean, hasGif: boolean): JobLinks {
  const base = `/api/jobs/${jobId}`;
  const links: JobLinks = { self: base, events: `${base}/events`, regenerate: `${base}/regenerate` };
  if (withFiles) {
    links.image = `${base}/image.png`;
    links.rawImage = `${base}/raw.png`;
    if (hasGif) links.gif = `${base}/trajectory.gif`;
  }
  return links;
}

/** A stored job as the API shows it to `session` (`filesKept` = its result files still exist). */
export function jobView(rec: JobRecord, session: string, filesKept = true): JobView {
  const r = rec.status === 'done' ? rec.result : null;
  return {
    jobId: rec.jobId,
    status: rec.status,
    technique: rec.spec.technique,
    spec: rec.spec,
    command: commandLine(rec.spec),
    mine: rec.owner.platform === 'playground' && rec.owner.userId === session,
    parentId: rec.parentId,
    createdAt: rec.createdAt,
    startedAt: rec.startedAt,
    finishedAt: rec.finishedAt,
    position: rec.position,
    error: rec.error,
    timings: r ? r.timings : null,
    result: r
      ? {
          seed: r.spec.seed,
          steps: r.spec.steps,
          guidance: r.spec.guidance,
          model: r.model,
          width: r.files.width,
          height: r.files.height,
          gifFrames: r.files.gifFrames,
          gifBytes: r.files.gifBytes,
          prompts: r.prompts,
          understood: r.understood,
          unknown: r.unknown,
        }
      : null,
    caption: r ? buildCaption(r, { style: 'plain' }) : null,
    captionParts: r ? captionParts(r) : null,
    links: jobLinks(rec.jobId, r !== null && filesKept, r !== null && r.files.gif !== null),
    actions: actionViews(rec, filesKept),
  };
}

/** Quotes text that the text-command parser would otherwise read as options. */
const quote = (s: string) => (/--|—|–|\w[:=]|"|\|/.test(s) ? `"${s.replace(/"/g, "'")}"` : s);

/** The text command that asks for a spec again (images are attachments and not part of the text). */
export function commandLine(spec: JobSpec): string {
  const parts = [`/${spec.technique}`];
  switch (spec.technique) {
    case 'anagram':
    case 'hybrid':
      parts.push(`${spec.prompt} | ${spec.prompt2 ?? ''}`);
      break;
    default:
      if (spec.prompt) parts.push(quote(spec.prompt));
  }
  if (spec.negative) parts.push(`--negative ${quote(spec.negative)}`);
  // A result used as the image is named by reference (the mask, if any, is an attachment).
  if (spec.source?.action === 'input') parts.push(`--job ${spec.source.parent} --candidate ${spec.source.candidate}`);
  if (spec.technique === 'sketch' && spec.noiseLevel !== undefined)
    parts.push(`--noise_level ${spec.noiseLevel}`);
  if (spec.technique === 'anagram' && spec.view) parts.push(`--view ${spec.view}`);
  if (spec.t && spec.technique === 'noise') parts.push(`--t ${spec.t.join(',')}`);
  if (spec.t && spec.technique === 'denoise') parts.push(`--t ${spec.t[0]}`);
  if (spec.method) parts.push(`--method ${spec.method}`);
  parts.push(`--seed ${spec.seed}`);
  // The stored spec holds only what the user gave; left out, the model's defaults apply again.
  if (spec.steps !== undefined) parts.push(`--steps ${spec.steps}`);
  if (spec.guidance !== undefined) parts.push(`--cfg ${spec.guidance}`);
  if (spec.sampler) parts.push(`--sampler ${spec.sampler}`);
  if (spec.count !== undefined && spec.count > 1) parts.push(`--count ${spec.count}`);
  return parts.join(' ');
}

/** One server-sent event: its type and JSON data. */
export interface SseMessage {
  event: string;
  data: Record<string, unknown>;
}

/** A job event as the API streams it: previews as PNG data URLs, no owner, no canceller id. */
export function eventMessage(e: JobEvent, view?: JobView): SseMessage {
  switch (e.type) {
    case 'queued':
      return {
        event: 'queued',
        data: { jobId: e.jobId, position: e.position, estimatedWaitMs: e.estimatedWaitMs },
      };
    case 'started':
      return { event: 'started', data: { jobId: e.jobId, startedAt: e.startedAt } };
    case 'progress': {
      const data: Record<string, unknown> = { jobId: e.jobId, step: e.step, total: e.total };
      if (e.preview) data.preview = `data:image/png;base64,${e.preview.toString('base64')}`;
      return { event: 'progress', data };
    }
    case 'done':
      return { event: 'done', data: { jobId: e.jobId, job: view ?? null } };
    case 'failed':
      return { event: 'failed', data: { jobId: e.jobId, message: e.message } };
    case 'cancelled':
      return { event: 'cancelled', data: { jobId: e.jobId, message: 'Cancelled.' } };
  }
}

/** A command reply as the API returns it; queue entries lose their owners and say whether they are the caller's. */
export function replyView(reply: CommandReply, session: string): Record<string, unknown> {
  if (reply.kind === 'queue') {
    return {
      kind: 'queue',
      text: reply.text,
      entries: reply.entries.map((e) => ({
        // Another session's private job comes without its id (commands/queue.ts).
        jobId: e.jobId || null,
        private: e.owner.private === true,
        technique: e.technique,
        status: e.status,
        position: e.position,
        createdAt: e.createdAt,
        estimatedWaitMs: e.estimatedWaitMs,
        mine: e.owner.platform === 'playground' && e.owner.userId === session,
      })),
    };
  }
  return { ...reply };
}
