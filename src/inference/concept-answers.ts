// Runs in the inference process.
// Answers the engine's 'concepts' requests (content rules): which concepts of a model the prompts
// make it draw that a banned word or phrase names, from the model's own prompt encoder data
// (runtime/prompt/concept-rules.ts). Only the encoder's words and concepts are read (no session,
// no embeddings), once per model, apart from the loaded models, so a running job is not disturbed.
// A model whose prompts are not encoded as bag of words with concepts (a CLIP-encoded model) has
// no concepts: the answer says so and only the text of the rules applies.
import { readManifest, resolveModelDir } from '../runtime/index.ts';
import { loadBagOfWordsText, type BagOfWordsEncoder } from '../runtime/prompt/bag-of-words.ts';
import { ConceptIndex } from '../runtime/prompt/concept-rules.ts';
import type { ToWorker, WorkerSettings } from './worker-protocol.ts';
import { postToEngine as post } from './worker-host.ts';

/** A model's text encoder (words and concepts, no embeddings) and its concept index; null: the model has none. */
interface TextData {
  encoder: BagOfWordsEncoder;
  index: ConceptIndex;
}
/** By model name, the last few models asked about (content rules and 'understand' requests share them). */
const texts = new Map<string, TextData | null>();
const MAX_INDEXES = 3;

/** A model's text encoder and concept index (read on first use), or null when its prompt encoder has no concepts. Throws ModelError for an unknown or broken model. */
export function textDataOf(name: string, modelsDir: string): TextData | null {
  if (texts.has(name)) return texts.get(name) ?? null;
  const dir = resolveModelDir(name, modelsDir);
  const manifest = readManifest(dir);
  const prompt = manifest.prompt;
  let data: TextData | null = null;
  if (prompt.encoder === 'bag-of-words' && prompt.concepts) {
    const encoder = loadBagOfWordsText(dir, prompt);
    data = { encoder, index: new ConceptIndex(encoder) };
  }
  if (texts.size >= MAX_INDEXES) texts.delete(texts.keys().next().value as string);
  texts.set(name, data);
  return data;
}

/** The concept index of a model (read on first use), or null when its prompt encoder has no concepts. Throws ModelError for an unknown or broken model. */
export function conceptIndexOf(name: string, modelsDir: string): ConceptIndex | null {
  return textDataOf(name, modelsDir)?.index ?? null;
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
