// Runs in the bot's process.
// Asks the inference process what a model understands of a text (the inference process answers in
// understand-answers.ts). An answer that does not come in time, or a process that stops before
// answering, is an error the engine reports as unavailable.
import type { TextUnderstanding } from '../jobs/api.ts';
import type { FromWorker } from './worker-protocol.ts';
import type { InferenceWorker } from './worker.ts';

/** The answer, or why there is none (`userError`: the model does not exist). */
export type UnderstandAnswer =
  | { ok: true; understanding: TextUnderstanding }
  | { ok: false; error: string; userError: boolean };

/** How long an answer may take (a UNet step of a running job or a first read of a model's words may come first). */
export const UNDERSTAND_TIMEOUT_MS = 15_000;

/** The 'understand' requests of one inference worker. */
export class UnderstandRequests {
  private readonly pending = new Map<number, { resolve(a: UnderstandAnswer): void; timer: NodeJS.Timeout }>();
  private nextId = 1;

  constructor(
    private readonly worker: InferenceWorker,
    private readonly timeoutMs = UNDERSTAND_TIMEOUT_MS,
  ) {
    worker.on('understand', (m: Extract<FromWorker, { type: 'understand' }>) => {
      this.settle(
        m.requestId,
        m.understanding
          ? { ok: true, understanding: m.understanding }
          : { ok: false, error: m.error ?? 'no answer', userError: m.userError ?? false },
      );
    });
    worker.on('exit', () => {
      for (const id of [...this.pending.keys()])
        this.settle(id, { ok: false, error: 'the inference worker stopped', userError: false });
    });
  }

  /** What `model` (default: the worker's default model) understands of `text`. */
  ask(text: string, model?: string): Promise<UnderstandAnswer> {
    const requestId = this.nextId++;
    return new Promise<UnderstandAnswer>((resolve) => {
      const timer = setTimeout(
        () => this.settle(requestId, { ok: false, error: 'the inference worker did not answer in time', userError: false }),
        this.timeoutMs,
      );
      timer.unref();
      this.pending.set(requestId, { resolve, timer });
      this.worker.request({ type: 'understand', requestId, ...(model !== undefined ? { model } : {}), text });
    });
  }

  private settle(id: number, answer: UnderstandAnswer): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(answer);
  }
}
