// Runs in the bot's process (scale-out front-end) and the scale-out worker.
// What crosses Redis between front-ends and workers: BullMQ job data (the spec as submitted,
// carried through unchanged, plus run settings), progress data (step counts and a preview blob
// key), the return value (the run's facts with blob keys instead of file paths), and failure
// reasons that say what kind of failure they are.
import type { JobSpec } from '../jobs/spec.ts';
import type { RunOutput } from '../inference/worker-protocol.ts';

/** BullMQ job data: small (the spec and a few numbers); images travel as blobs referenced from the spec. */
export interface ClusterJobData {
  spec: JobSpec;
  /** Epoch ms the front-end accepted the job. */
  createdAt: number;
  /** JOB_TIMEOUT_MS of the front-end that accepted it. */
  timeoutMs: number;
  /** The content rules' words and phrases in force for the job's owner: the worker, which has the model, refuses the job before it runs when its prompts name a concept they name. */
  rules?: string[];
}

/** Progress data of job.updateProgress. */
export interface ClusterProgress {
  step: number;
  total: number;
  /** Blob name of a preview PNG (throttled: on a few events only). */
  preview?: string;
}

/** The return value of a finished job: RunOutput whose file paths are blob names. */
export interface ClusterReturn {
  output: RunOutput;
  /** Blob names of the result files. */
  blobs: { png: string; raw: string; gif: string | null };
  /** The worker that ran it. */
  workerId: string;
  /** Epoch ms the worker started and finished the run. */
  startedAt: number;
  finishedAt: number;
}

/** Kinds of failure a worker reports: as RunFailure's, plus `cancelled`. */
export type FailureKind = 'cancelled' | 'timeout' | 'input' | 'crash' | 'error';

const FAILURE = /^\[diffuse:(cancelled|timeout|input|crash|error)\] ([\s\S]*)$/;

/** A failure reason as the worker writes it into BullMQ's failedReason. */
export function encodeFailure(kind: FailureKind, message: string): string {
  return `[diffuse:${kind}] ${message}`;
}

/** Reads a failedReason: ours, or BullMQ's own (a job stalled too often, a lost lock, ...). */
export function decodeFailure(reason: string | undefined): { kind: FailureKind | 'lost'; message: string } {
  const m = FAILURE.exec(reason ?? '');
  if (m) return { kind: m[1] as FailureKind, message: m[2] };
  if (/stalled more than allowable limit/i.test(reason ?? ''))
    return {
      kind: 'lost',
      message:
        'The workers running this job stopped twice in the middle of it (crashed or lost their connection); it was not tried again.',
    };
  return {
    kind: 'error',
    message: `Something went wrong while running this job: ${reason ?? 'unknown error'}`,
  };
}

/** Parses a return value (QueueEvents may hand it over as JSON text). */
export function parseReturn(value: unknown): ClusterReturn | null {
  const v = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (!v || typeof v !== 'object' || !('output' in v) || !('blobs' in v)) return null;
  return v as ClusterReturn;
}
