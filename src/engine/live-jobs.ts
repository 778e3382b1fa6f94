// Runs in the bot's process (and a scale-out front-end).
// The jobs the engine holds in memory while they are queued or running (the store has them too),
// counted per user, and admission: the queue and per-user limits a new job is checked against.
import { randomBytes } from 'node:crypto';
import { refusal, type EngineRefusal, type JobOwner } from '../jobs/api.ts';
import type { JobSpec } from '../jobs/spec.ts';
import type { RunHandle } from '../inference/worker.ts';

/** Why a running job was asked to stop, and by whom (cancel). */
export interface StopRequest {
  kind: 'cancel' | 'timeout' | 'shutdown';
  by: string | null;
}

/** A queued or running job in memory. */
export interface LiveJob {
  jobId: string;
  spec: JobSpec;
  owner: JobOwner;
  createdAt: number;
  startedAt: number | null;
  /** Steps done and total, as the worker last reported them (for the wait estimates). */
  step: number;
  total: number;
  /** The run on the worker, while it is in flight. */
  handle: RunHandle | null;
  /** Set when a cancel, the time limit or a shutdown asked the job to stop. */
  stop: StopRequest | null;
  /** Resolves once the job has left memory (ended, or interrupted by shutdown). */
  finished: Promise<void>;
  finish(): void;
}

/** The limits admission applies. */
export interface AdmissionLimits {
  /** QUEUE_MAX: queued and running jobs at most. */
  queueMax: number;
  /** USER_MAX_PENDING: queued and running jobs of one user at most. */
  userMaxPending: number;
}

const userKey = (o: JobOwner): string => `${o.platform}:${o.userId}`;

/** The live jobs by id, with per-user counts. */
export class LiveJobs {
  private readonly jobs = new Map<string, LiveJob>();
  private readonly perUser = new Map<string, number>();

  get size(): number {
    return this.jobs.size;
  }

  get(jobId: string): LiveJob | undefined {
    return this.jobs.get(jobId);
  }

  has(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  /** Whether `job` is still the live record of its id (not ended meanwhile). */
  holds(job: LiveJob): boolean {
    return this.jobs.get(job.jobId) === job;
  }

  /** Holds a new job in memory and counts it for its owner. */
  add(jobId: string, spec: JobSpec, owner: JobOwner, createdAt: number): LiveJob {
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    const job: LiveJob = {
      jobId,
      spec,
      owner,
      createdAt,
      startedAt: null,
      step: 0,
      total: 0,
      handle: null,
      stop: null,
      finished,
      finish,
    };
    this.jobs.set(jobId, job);
    const key = userKey(owner);
    this.perUser.set(key, (this.perUser.get(key) ?? 0) + 1);
    return job;
  }

  /** Lets a job go (it ended or was interrupted): frees its owner's slot and resolves `finished`. */
  remove(job: LiveJob): void {
    this.jobs.delete(job.jobId);
    const key = userKey(job.owner);
    const n = (this.perUser.get(key) ?? 1) - 1;
    if (n <= 0) this.perUser.delete(key);
    else this.perUser.set(key, n);
    job.finish();
  }

  /** The refusal a new job of `owner` gets now (queue full, user at the limit), or null. */
  admission(owner: JobOwner, limits: AdmissionLimits): EngineRefusal | null {
    if (this.jobs.size >= limits.queueMax) {
      return refusal(
        'queue_full',
        `The queue is full (${limits.queueMax} jobs); try again in a few minutes.`,
      );
    }
    const mine = this.perUser.get(userKey(owner)) ?? 0;
    if (mine >= limits.userMaxPending) {
      const n = limits.userMaxPending;
      return refusal(
        'user_limit',
        `You already have ${n} job${n === 1 ? '' : 's'} waiting or running; wait for one to finish or cancel one.`,
      );
    }
    return null;
  }
}

/** Random job id: 10 characters of [a-z0-9], easy to type in a /cancel command. */
export function newJobId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(10);
  let s = '';
  for (const b of bytes) s += alphabet[b % 36];
  return s;
}

/** An owner as stored: its fields as strings, nothing else. */
export function cleanOwner(o: JobOwner): JobOwner {
  return {
    platform: String(o.platform),
    userId: String(o.userId),
    ...(o.channelRef !== undefined ? { channelRef: String(o.channelRef) } : {}),
    ...(o.messageRef !== undefined ? { messageRef: String(o.messageRef) } : {}),
    ...(o.private === true ? { private: true } : {}),
  };
}
