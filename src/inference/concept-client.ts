// Runs in the bot's process (and a scale-out worker).
// Asks the inference process which banned concepts a job's prompts name (content rules on the
// model's concepts; the inference process answers in concept-answers.ts). An answer that does not
// come in time, or a process that stops before answering, is an error the caller refuses on.
import type { FromWorker } from './worker-protocol.ts';
import type { InferenceWorker } from './worker.ts';

/** The answer: the banned concepts the prompts name (empty: none; `known` false: the model has no concepts), or why there is none. */
export type ConceptAnswer = { ok: true; banned: string[]; known: boolean } | { ok: false; error: string };

/** Asks about concepts: (model, prompts, banned words and phrases) -> answer. */
export type ConceptLookup = (
  model: string | undefined,
  prompts: string[],
  rules: string[],
) => Promise<ConceptAnswer>;

/** How long an answer may take (a UNet step of a running job or a first read of a model's words may come first). */
export const CONCEPT_TIMEOUT_MS = 15_000;

/** The 'concepts' requests of one inference worker. */
export class ConceptRequests {
  private readonly pending = new Map<number, { resolve(a: ConceptAnswer): void; timer: NodeJS.Timeout }>();
  private nextId = 1;

  constructor(
    private readonly worker: InferenceWorker,
    private readonly timeoutMs = CONCEPT_TIMEOUT_MS,
  ) {
    worker.on('concepts', (m: Extract<FromWorker, { type: 'concepts' }>) => {
      this.settle(
        m.requestId,
        m.error !== undefined
          ? { ok: false, error: m.error }
          : { ok: true, banned: m.banned ?? [], known: m.known ?? false },
      );
    });
    worker.on('exit', () => {
      for (const id of [...this.pending.keys()])
        this.settle(id, { ok: false, error: 'the inference worker stopped' });
    });
  }

  /** The lookup function of this worker. */
  readonly lookup: ConceptLookup = (model, prompts, rules) => {
    const requestId = this.nextId++;
    return new Promise<ConceptAnswer>((resolve) => {
      // Not unref'd: a submit waiting for its answer keeps the process alive until it comes.
      const timer = setTimeout(
        () => this.settle(requestId, { ok: false, error: 'the inference worker did not answer in time' }),
        this.timeoutMs,
      );
      this.pending.set(requestId, { resolve, timer });
      this.worker.request({
        type: 'concepts',
        requestId,
        ...(model !== undefined ? { model } : {}),
        prompts,
        rules,
      });
    });
  };

  private settle(id: number, answer: ConceptAnswer): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(answer);
  }
}
