// Runs in the bot's process (and a scale-out front-end).
// The per-device FIFO queue: p-queue with concurrency 1 (one job on the device at a time), plus
// the bookkeeping p-queue lacks: the order of waiting jobs (for positions) and removal by id.
import PQueue from 'p-queue';

/** FIFO queue of items run one at a time by `runItem`. `onChange` fires whenever the order moves. */
export class DeviceQueue<T extends { jobId: string }> {
  private readonly pq = new PQueue({ concurrency: 1 });
  private readonly waiting = new Map<string, { item: T; controller: AbortController }>();
  private current: T | null = null;

  constructor(
    private readonly runItem: (item: T) => Promise<void>,
    private readonly onChange: () => void = () => undefined,
    /** Called when `runItem` throws, so the item can still be ended; the queue then moves on. */
    private readonly onError: (item: T, err: unknown) => void = () => undefined,
  ) {}

  /** Appends an item; it runs after everything added before it. */
  add(item: T): void {
    if (this.waiting.has(item.jobId) || this.current?.jobId === item.jobId)
      throw new Error(`job ${item.jobId} is already queued`);
    const controller = new AbortController();
    this.waiting.set(item.jobId, { item, controller });
    this.pq
      .add(
        async () => {
          this.waiting.delete(item.jobId);
          this.current = item;
          this.onChange();
          try {
            await this.runItem(item);
          } catch (err) {
            try {
              this.onError(item, err);
            } catch {
              // the handler's own failure must not stop the queue
            }
          } finally {
            this.current = null;
            this.onChange();
          }
        },
        { signal: controller.signal },
      )
      .catch(() => undefined); // only removed items reject here (with the abort reason)
  }

  /** Removes a waiting item; false if it is not waiting (running, finished or unknown). */
  remove(jobId: string): boolean {
    const w = this.waiting.get(jobId);
    if (!w) return false;
    this.waiting.delete(jobId);
    w.controller.abort(new DOMException('removed from the queue', 'AbortError'));
    this.onChange();
    return true;
  }

  /** The running item, or null. */
  get running(): T | null {
    return this.current;
  }

  /** Waiting items, first to run first. */
  waitingItems(): T[] {
    return [...this.waiting.values()].map((w) => w.item);
  }

  /** Number of waiting items. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** 0-based index among the waiting items, or -1. */
  indexOf(jobId: string): number {
    let i = 0;
    for (const id of this.waiting.keys()) {
      if (id === jobId) return i;
      i++;
    }
    return -1;
  }

  /** Stops starting waiting items (the running one finishes). */
  pause(): void {
    this.pq.pause();
  }

  /** Resolves when nothing runs and nothing waits. */
  onIdle(): Promise<void> {
    return this.pq.onIdle();
  }
}
