// A throttled message editor: the latest text wins, and edits start at least `minIntervalMs`
// apart (Slack's chat.update is rate limited per method and per channel).

/** Keeps one message's text up to date with at most one edit per interval; intermediate texts are dropped. */
export class ThrottledEditor {
  private pending: string | null = null;
  private lastText: string | null = null;
  private lastStart: number;
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly minIntervalMs: number,
    private readonly send: (text: string) => Promise<void>,
    private readonly now: () => number = Date.now,
    initialText: string | null = null,
  ) {
    this.lastText = initialText;
    this.lastStart = now();
  }

  /** Number of edits started so far. */
  edits = 0;

  /** Asks for `text` to be shown; sent when the interval allows (dropped if a newer text comes first). */
  set(text: string): void {
    if (this.closed) return;
    if (text === (this.pending ?? this.lastText)) return;
    this.pending = text;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.inflight || this.pending === null || this.closed) return;
    const wait = Math.max(0, this.lastStart + this.minIntervalMs - this.now());
    this.timer = setTimeout(() => this.fire(), wait);
  }

  private fire(): void {
    this.timer = null;
    if (this.pending === null || this.closed) return;
    const text = this.pending;
    this.pending = null;
    this.lastStart = this.now();
    this.lastText = text;
    this.edits++;
    this.inflight = this.send(text)
      .catch(() => {})
      .finally(() => {
        this.inflight = null;
        this.schedule();
      });
  }

  /** Stops editing: drops a pending text and waits for an edit in flight, so a final edit comes after every progress edit. */
  async close(): Promise<void> {
    this.closed = true;
    this.pending = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.inflight) await this.inflight;
  }

  /** Milliseconds to wait before the next edit may start (for a final edit that must respect the interval too). */
  waitBeforeNext(): number {
    return Math.max(0, this.lastStart + this.minIntervalMs - this.now());
  }
}
