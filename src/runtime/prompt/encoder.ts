// Runs in the inference process and the CLI.
// The factory that builds the prompt encoder a manifest names (the interfaces are in types.ts).
import type { PromptManifest } from '../manifest.ts';
import { ModelError } from '../errors.ts';
import { loadPrecomputed } from '../if/precomputed.ts';
import { loadBagOfWords } from './bag-of-words.ts';
import type { PromptEncoder } from './types.ts';

export type { PromptEncoder } from './types.ts';

/** Build the prompt encoder named by `manifest.prompt`, reading its files relative to the model folder. */
export function loadPromptEncoder(dir: string, prompt: PromptManifest): PromptEncoder {
  switch (prompt.encoder) {
    case 'bag-of-words':
      return loadBagOfWords(dir, prompt);
    case 'precomputed':
      return loadPrecomputed(dir, prompt);
    case 'clip':
      throw new ModelError(
        'bad-manifest',
        `${dir}: the CLIP prompt encoder runs a text-encoder session and belongs to a latent model (family "latent")`,
      );
  }
}
