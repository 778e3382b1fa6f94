// Follows one job's events and shows them on Discord: queue position, then progress (bar and
// a small preview) by editing one message at most every minEditIntervalMs, then the final PNG
// and GIF with the caption. Edits never overlap; the latest state wins.
import { readFile } from 'node:fs/promises';
import type { Engine, JobEvent, JobSpec, TerminalEvent } from '../../jobs/api.ts';
import type { Logger } from '../../jobs/logger.ts';
import { endedPayload, progressPayload, queuedPayload, resultPayload, textPayload, type Payload } from './messages.ts';
import { safeError } from './safe-log.ts';
import type { MessageLocation, ReplyTarget } from './targets.ts';

export interface JobViewOptions {
  /** Least time between two edits of the message (Discord rate limits; default 1500 ms). */
  minEditIntervalMs?: number;
  /** Largest total upload; the GIF is left out when PNG + GIF exceed it (default 10 MiB). */
  maxUploadBytes?: number;
  /** A line added under the caption (e.g. "🔁 new seed of job abc"). */
  note?: string;
  /** What the model understood of the prompt, shown under the title until the result (whose caption says it too). */
  reading?: string;
  log?: Logger;
  /** Called once with where the job's message is. */
  onLocated?(loc: MessageLocation): void;
}

type State =
  | { kind: 'queued'; position: number; estimatedWaitMs: number }
  | { kind: 'running'; step: number; total: number };

/** Renders one job's life into one message through a ReplyTarget. `finished` resolves after the final message. */
export class JobView {
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private state: State | null = null;
  private dirty = false;
  private preview: Buffer | undefined;
  private previewDirty = false;
  private terminal: TerminalEvent | null = null;
  private inFlight = false;
  private lastEditAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private located = false;
  private isFinishedShown = false;
  private unsubscribe: (() => void) | null = null;
  private readonly interval: number;

  constructor(
    private readonly engine: Engine,
    readonly jobId: string,
    private readonly spec: JobSpec,
    private readonly target: ReplyTarget,
    private readonly options: JobViewOptions = {},
  ) {
    this.interval = options.minEditIntervalMs ?? 1500;
    this.finished = new Promise((r) => (this.resolveFinished = r));
  }

  /** Shows the first state and subscribes to the job's events. */
  start(first?: { position: number; estimatedWaitMs: number }): this {
    if (first) {
      // Shown at once (the payload is built before any replayed event can replace it).
      this.state = { kind: 'queued', ...first };
      this.dirty = true;
      void this.flush();
    }
    const off = this.engine.subscribe(this.jobId, (e) => this.onEvent(e));
    // A finished job's end is replayed inside subscribe, before `off` exists: let go of it now.
    if (this.terminal) off();
    else this.unsubscribe = off;
    return this;
  }

  /** Stops following the job (on shutdown); no further edits. */
  stop(): void {
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.resolveFinished();
  }

  private onEvent(e: JobEvent): void {
    switch (e.type) {
      case 'queued':
        if (this.state?.kind !== 'running') this.setState({ kind: 'queued', position: e.position, estimatedWaitMs: e.estimatedWaitMs });
        break;
      case 'started':
        this.setState({ kind: 'running', step: 0, total: this.spec.technique === 'noise' ? 1 : (this.spec.steps ?? 0) });
        break;
      case 'progress':
        if (e.preview) {
          this.preview = e.preview;
          this.previewDirty = true;
        }
        this.setState({ kind: 'running', step: e.step, total: e.total });
        break;
      default:
        this.terminal = e;
        this.unsubscribe?.();
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        void this.flush();
    }
  }

  private setState(s: State): void {
    if (this.terminal) return;
    this.state = s;
    this.dirty = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.inFlight) return;
    const wait = Math.max(0, this.lastEditAt + this.interval - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, wait);
  }

  private async flush(): Promise<void> {
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      if (this.terminal) {
        await this.showFinal(this.terminal);
        this.resolveFinished();
        return;
      }
      if (!this.dirty || !this.state) return;
      this.dirty = false;
      const s = this.state;
      let p: Payload;
      if (s.kind === 'queued') p = queuedPayload(this.jobId, this.spec, s.position, s.estimatedWaitMs, undefined, this.options.reading);
      else {
        p = progressPayload(this.jobId, this.spec, s.step, s.total, this.previewDirty ? this.preview : undefined, this.options.reading);
        this.previewDirty = false;
      }
      await this.show(p);
    } catch (err) {
      this.options.log?.warn({ jobId: this.jobId, err: safeError(err) }, 'discord progress edit failed');
    } finally {
      this.lastEditAt = Date.now();
      this.inFlight = false;
      if (this.terminal && !this.isFinishedShown) void this.flush();
      else if (this.dirty && !this.terminal) this.schedule();
    }
  }

  private async show(p: Payload): Promise<void> {
    const loc = await this.target.show(p);
    if (!this.located && loc.messageId) {
      this.located = true;
      this.options.onLocated?.(loc);
    }
  }

  private async showFinal(e: TerminalEvent): Promise<void> {
    if (this.isFinishedShown) return;
    this.isFinishedShown = true;
    try {
      if (e.type === 'done') {
        const files = e.result.files;
        const png = await readFile(files.png);
        let gif = files.gif ? await readFile(files.gif) : null;
        const max = this.options.maxUploadBytes ?? 10 * 1024 * 1024;
        let note = this.options.note;
        if (gif && png.length + gif.length > max) {
          gif = null;
          note = [note, 'The animation was too large to upload.'].filter(Boolean).join('\n');
        }
        try {
          await this.show(resultPayload(e.result, png, gif, note));
        } catch (err) {
          // Discord answers 413 for a file over the channel's upload limit: the PNG alone may still fit.
          if (!gif || (err as { status?: unknown }).status !== 413) throw err;
          this.options.log?.warn({ jobId: this.jobId, err: safeError(err) }, 'discord result too large; sending it without the animation');
          note = [note, 'The animation was too large to upload.'].filter(Boolean).join('\n');
          await this.show(resultPayload(e.result, png, null, note));
        }
      } else if (e.type === 'failed') {
        await this.show(endedPayload(this.jobId, this.spec, `⚠️ ${e.message}`));
      } else {
        await this.show(endedPayload(this.jobId, this.spec, 'Cancelled.'));
      }
    } catch (err) {
      this.options.log?.warn({ jobId: this.jobId, err: safeError(err) }, 'discord result upload failed');
      try {
        await this.show(textPayload(`⚠️ I finished job \`${this.jobId}\` but could not upload the result; try again.`));
      } catch {
        // nothing more to do: the result stays retrievable by job id
      }
    }
  }
}
