// Runs in the inference process.
// Answers the engine's 'concepts' requests (content rules): which concepts of a model the prompts
// make it draw that a banned word or phrase names, from the model's own prompt encoder data
// (runtime/prompt/concept-rules.ts). Only the encoder's words and concepts are read (no session,
// no embeddings), once per model, apart from the loaded models, so a running job is not disturbed.
// A model whose prompts are not encoded as bag of words with concepts (a CLIP-encoded model) has
// no concepts: the answer says so and only the text of the rules applies.
import { readManifest, resolveModelDir } from '../runtime/index.ts';
import { loadBagOfWordsText } from '../runtime/prompt/bag-of-words.ts';
import { ConceptIndex } from '../runtime/prompt/concept-rules.ts';
import type { ToWorker, WorkerSettings } from './worker-protocol.ts';
import { postToEngine as post } from './worker-host.ts';

/** Concept indexes by model name (null: the model has none); the last few models asked about. */
const indexes = new Map<string, ConceptIndex | null>();
const MAX_INDEXES = 3;

/** The concept index of a model (read on first use), or null when its prompt encoder has no concepts. Throws ModelError for an unknown or broken model. */
export function conceptIndexOf(name: string, modelsDir: string): ConceptIndex | null {
  if (indexes.has(name)) return indexes.get(name) ?? null;
  const dir = resolveModelDir(name, modelsDir);
  const manifest = readManifest(dir);
  const prompt = manifest.prompt;
  const index =
    prompt.encoder === 'bag-of-words' && prompt.concepts
      ? new ConceptIndex(loadBagOfWordsText(dir, prompt))
      : null;
  if (indexes.size >= MAX_INDEXES) indexes.delete(indexes.keys().next().value as string);
  indexes.set(name, index);
  return index;
}

/** Answers one 'concepts' request. */
export function answerConcepts(
  m: Extract<ToWorker, { type: 'concepts' }>,
  settings: Pick<WorkerSettings, 'modelsDir' | 'defaultModel'>,
): void {
  try {
    const index = conceptIndexOf(m.model ?? settings.defaultModel, settings.modelsDir);
    if (!index) post({ type: 'concepts', requestId: m.requestId, banned: [], known: false });
    else
      post({
        type: 'concepts',
        requestId: m.requestId,
        banned: index.banned(m.prompts, m.rules),
        known: true,
      });
  } catch (err) {
    post({
      type: 'concepts',
      requestId: m.requestId,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
