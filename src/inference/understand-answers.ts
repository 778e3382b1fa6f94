// Runs in the inference process.
// Answers the engine's 'understand' requests: what a model understands of a text before any job
// runs (the concepts it would draw with their weights, dropped and unknown words, a few matching
// vocabulary entries), from the model's own prompt encoder data. Only the encoder's words and
// concepts are read (no session, no embeddings), shared with the content rules' concept index
// (concept-answers.ts), so a running job is not disturbed. A model whose prompts are read whole
// (CLIP, precomputed) answers `concepts: false`.
import type { TextUnderstanding } from '../jobs/api.ts';
import { ModelError } from '../runtime/index.ts';
import { textDataOf } from './concept-answers.ts';
import type { ToWorker, WorkerSettings } from './worker-protocol.ts';
import { postToEngine as post } from './worker-host.ts';

/** Vocabulary entries an answer shows. */
const EXAMPLES = 8;

/** What `model` understands of `text` (read on first use, then cached). Throws ModelError for an unknown or broken model. */
export function understandingOf(model: string, modelsDir: string, text: string): TextUnderstanding {
  const data = textDataOf(model, modelsDir);
  if (!data) return { model, concepts: false, understood: [], dropped: [], unknown: [], examples: [] };
  const { understood, dropped, unknown } = data.encoder.read(text);
  return { model, concepts: true, understood, dropped, unknown, examples: data.encoder.examples(text, EXAMPLES) };
}

/** Answers one 'understand' request. */
export function answerUnderstand(
  m: Extract<ToWorker, { type: 'understand' }>,
  settings: Pick<WorkerSettings, 'modelsDir' | 'defaultModel'>,
): void {
  try {
    const understanding = understandingOf(m.model ?? settings.defaultModel, settings.modelsDir, m.text);
    post({ type: 'understand', requestId: m.requestId, understanding });
  } catch (err) {
    post({
      type: 'understand',
      requestId: m.requestId,
      error: err instanceof Error ? err.message : String(err),
      userError: err instanceof ModelError && err.code === 'unknown-model',
    });
  }
}
