// Runs in the bot's process (and a scale-out front-end).
// The engine's event hub: delivers each job's events to its subscribers and to subscribeAll
// listeners, and keeps the latest events of recent jobs so a late subscriber is brought up to date
// (subscribe's replay, and snapshot's ordered one).
import type { JobEvent, JobEventListener } from '../jobs/api.ts';
import type { Logger } from '../jobs/logger.ts';
import type { StoredJob } from '../store/store.ts';

/** Recent events per job, replayed to late subscribers. */
interface History {
  queued?: JobEvent;
  started?: JobEvent;
  progress?: JobEvent;
  preview?: JobEvent;
  terminal?: JobEvent;
}

/** Jobs whose recent events are kept; beyond it the oldest finished job's are dropped. */
const HISTORY_MAX = 500;

/** The terminal event of a finished stored job, or null while it is queued or running. */
export function terminalEvent(job: StoredJob): JobEvent | null {
  const base = { jobId: job.jobId, owner: job.owner };
  if (job.status === 'done' && job.result) return { type: 'done', ...base, result: job.result };
  if (job.status === 'failed') return { type: 'failed', ...base, message: job.error ?? 'failed' };
  if (job.status === 'cancelled') return { type: 'cancelled', ...base, by: job.cancelledBy };
  return null;
}

/** Whether an event ends its job (done, failed or cancelled). */
export function isTerminal(e: JobEvent): boolean {
  return e.type === 'done' || e.type === 'failed' || e.type === 'cancelled';
}

/** Order of a snapshot: queued, started, then progress by step (a stale preview before the latest count). */
function replayRank(e: JobEvent): number {
  if (e.type === 'queued') return 0;
  if (e.type === 'started') return 1;
  if (e.type === 'progress') return 2 + e.step + (e.preview ? 0 : 0.5);
  return Number.MAX_SAFE_INTEGER;
}

/** Per-job and global listeners plus the recent history of each job. */
export class EventHub {
  private readonly listeners = new Map<string, Set<JobEventListener>>();
  private readonly allListeners = new Set<JobEventListener>();
  private readonly history = new Map<string, History>();

  constructor(private readonly log: Logger) {}

  /** Records an event in its job's history and delivers it to the job's and the global listeners. */
  emit(e: JobEvent): void {
    let h = this.history.get(e.jobId);
    if (!h) {
      h = {};
      this.history.set(e.jobId, h);
      if (this.history.size > HISTORY_MAX) {
        for (const [id, old] of this.history) {
          if (old.terminal) {
            this.history.delete(id);
            break;
          }
        }
      }
    }
    if (e.type === 'queued') h.queued = e;
    else if (e.type === 'started') h.started = e;
    else if (e.type === 'progress') {
      if (e.preview) h.preview = e;
      else h.progress = e;
    } else h.terminal = e;
    for (const l of this.listeners.get(e.jobId) ?? []) safeCall(l, e, this.log);
    for (const l of this.allListeners) safeCall(l, e, this.log);
  }

  /** Whether the job's end has been emitted (and is still remembered). */
  ended(jobId: string): boolean {
    return this.history.get(jobId)?.terminal !== undefined;
  }

  /** Whether any event of the job is remembered. */
  knows(jobId: string): boolean {
    return this.history.has(jobId);
  }

  /**
   * Subscribes to one job. With `replay`, the remembered events are replayed at once (latest
   * queued, started, latest progress, latest preview, end), else `fallback` (an end from the store).
   */
  subscribe(
    jobId: string,
    listener: JobEventListener,
    replay: boolean,
    fallback: () => JobEvent | null,
  ): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(listener);
    if (replay) {
      const h = this.history.get(jobId);
      if (h) {
        for (const e of [h.queued, h.started, h.progress, h.preview, h.terminal]) {
          if (e) safeCall(listener, e, this.log);
        }
      } else {
        const end = fallback();
        if (end) safeCall(listener, end, this.log);
      }
    }
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(jobId) === set) this.listeners.delete(jobId);
    };
  }

  /** Subscribes to every job's events. */
  subscribeAll(listener: JobEventListener): () => void {
    this.allListeners.add(listener);
    return () => this.allListeners.delete(listener);
  }

  /** The remembered events of a job in the order a new viewer needs them: only the end once it ended, else queued, started, progress by step. */
  snapshot(jobId: string): JobEvent[] {
    const h = this.history.get(jobId);
    if (!h) return [];
    if (h.terminal) return [h.terminal];
    const past = [h.queued, h.started, h.progress, h.preview].filter((e): e is JobEvent => e !== undefined);
    return past.sort((a, b) => replayRank(a) - replayRank(b));
  }
}

/** Calls a listener; a listener that throws is logged and does not stop the others. */
function safeCall(l: JobEventListener, e: JobEvent, log: Logger): void {
  try {
    l(e);
  } catch (err) {
    log.error(
      { jobId: e.jobId, err: err instanceof Error ? err.message : String(err) },
      'job event listener threw',
    );
  }
}
