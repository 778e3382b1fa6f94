// The prompt encoder interface and the factory that builds the one a manifest names.
import type { EncodedPrompt } from '../types.ts';
import type { PromptManifest } from '../manifest.ts';
import { ModelError } from '../errors.ts';
import { loadPrecomputed } from '../if/precomputed.ts';
import { loadBagOfWords } from './bag-of-words.ts';

/** Turns prompt text into the model's conditioning, with what it understood and what it did not. */
export interface PromptEncoder {
  /** Conditioning dims of one prompt (no batch axis), e.g. [dim]. */
  readonly condDims: readonly number[];
  encode(text: string): EncodedPrompt;
}

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
