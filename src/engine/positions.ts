// Runs in the bot's process (and a scale-out front-end).
// Queue positions as users see them: a job's place (the running job counts as one ahead), its
// estimated wait, the queue listing, and the 'queued' events that tell waiting jobs they moved.
import type { QueueEntry } from '../jobs/api.ts';
import type { EtaEstimator } from './eta.ts';
import type { EventHub } from './events.ts';
import type { LiveJob } from './live-jobs.ts';
import type { DeviceQueue } from './queue.ts';

/** Positions and waits of the device queue's jobs. */
export class QueuePositions {
  constructor(
    private readonly queue: DeviceQueue<LiveJob>,
    private readonly eta: EtaEstimator,
    private readonly events: EventHub,
  ) {}

  /** Jobs ahead of this one (the running one included); `adding` = it is not in the queue yet. */
  positionOf(jobId: string, adding = false): number {
    const running = this.queue.running ? 1 : 0;
    if (adding) return running + this.queue.waitingCount;
    const i = this.queue.indexOf(jobId);
    return i < 0 ? 0 : running + i;
  }

  /** Estimated ms until a job at `position` starts. */
  waitFor(position: number): number {
    return this.eta.waitFor(position, this.queue.running, this.queue.waitingItems());
  }

  /** Sends every waiting job its (new) position and estimated wait. */
  announce(): void {
    for (const w of this.queue.waitingItems()) {
      const position = this.positionOf(w.jobId);
      this.events.emit({
        type: 'queued',
        jobId: w.jobId,
        owner: w.owner,
        position,
        estimatedWaitMs: this.waitFor(position),
      });
    }
  }

  /** Queued and running jobs, running first, then in FIFO order. */
  list(): QueueEntry[] {
    const out: QueueEntry[] = [];
    const r = this.queue.running;
    if (r)
      out.push({
        jobId: r.jobId,
        owner: r.owner,
        technique: r.spec.technique,
        status: 'running',
        position: 0,
        createdAt: r.createdAt,
        estimatedWaitMs: 0,
      });
    for (const w of this.queue.waitingItems()) {
      const position = this.positionOf(w.jobId);
      out.push({
        jobId: w.jobId,
        owner: w.owner,
        technique: w.spec.technique,
        status: 'queued',
        position,
        createdAt: w.createdAt,
        estimatedWaitMs: this.waitFor(position),
      });
    }
    return out;
  }
}
