// The page's client of the JSON HTTP API (docs/api.md): the same routes scripts use.
import type { CommandSpec, OptionSpec } from '../../../../commands/types.ts';
import type { JobSpec } from '../../../jobs/api.ts';
import type { JobLinks, JobView } from '../views.ts';

export type { CommandSpec, OptionSpec, JobView, JobLinks };

/** What the model understands of a text (GET /api/understand). */
export interface Understanding {
  concepts: boolean;
  understood: { label: string; weight: number }[];
  dropped: { word: string; why: string }[];
  unknown: string[];
}

/** An API answer that was not 2xx: its status and the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** 202 of POST /api/jobs and of regenerate. */
export interface Accepted {
  jobId: string;
  position: number;
  estimatedWaitMs: number;
  spec: JobSpec;
  text: string;
  /** What the model understood of the prompt ("understood: ...; unknown words: ..."), when it reads prompts word by word. */
  reading?: string;
  links: JobLinks;
}

/** 200 of POST /api/jobs for commands that answer with text (help, queue, model, cancel). */
export interface TextAnswer {
  reply: { kind: string; text: string };
}

async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { credentials: 'same-origin', ...init });
  } catch {
    throw new ApiError(0, 'The playground server cannot be reached. Is it still running?');
  }
  const type = res.headers.get('content-type') ?? '';
  const body: unknown = type.includes('application/json') ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    const b = body as { error?: string; code?: string } | null;
    throw new ApiError(
      res.status,
      b?.error ?? `The server answered ${res.status} ${res.statusText}.`,
      b?.code,
    );
  }
  return body as T;
}

/** GET /api/commands */
export function fetchCommands(): Promise<{ prefix: string; commands: CommandSpec[] }> {
  return call('/api/commands');
}

/** GET /api/history */
export function fetchHistory(limit = 50): Promise<{ jobs: JobView[] }> {
  return call(`/api/history?limit=${limit}`);
}

/** GET /api/jobs/:id */
export function fetchJob(jobId: string): Promise<JobView> {
  return call(`/api/jobs/${encodeURIComponent(jobId)}`);
}

/** POST /api/jobs (multipart: the text command line and the attached images). */
export function submitCommand(form: FormData): Promise<Accepted | TextAnswer> {
  return call('/api/jobs', { method: 'POST', body: form });
}

/** POST /api/jobs/:id/regenerate */
export function regenerateJob(jobId: string): Promise<Accepted> {
  return call(`/api/jobs/${encodeURIComponent(jobId)}/regenerate`, { method: 'POST' });
}

/** POST a follow-up action's url (JobView.actions): U n, V n, reroll, zoom out, pan. */
export function runAction(url: string): Promise<Accepted> {
  return call(url, { method: 'POST' });
}

/** DELETE /api/jobs/:id */
export function cancelJob(jobId: string): Promise<{ jobId: string; status: string }> {
  return call(`/api/jobs/${encodeURIComponent(jobId)}`, { method: 'DELETE' });
}

/** GET /api/health */
export function fetchHealth(): Promise<{
  ok: boolean;
  model: string;
  device: string;
  queued: number;
  running: number;
}> {
  return call('/api/health');
}

/** What the model understands of a prompt, before any job. */
export function fetchUnderstanding(text: string, signal?: AbortSignal): Promise<{ understanding: Understanding }> {
  return call(`/api/understand?text=${encodeURIComponent(text)}`, signal ? { signal } : {});
}
