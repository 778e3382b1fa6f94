// Runs in the inference process and the CLI.
// The prompt encoder interfaces, apart from every encoder so that none imports another: the
// bag-of-words and precomputed encoders (synchronous) and the CLIP text encoder (it runs a session).
import type { EncodedPrompt } from '../types.ts';

/** Turns prompt text into the model's conditioning, with what it understood and what it did not. */
export interface PromptEncoder {
  /** Conditioning dims of one prompt (no batch axis), e.g. [dim]. */
  readonly condDims: readonly number[];
  encode(text: string): EncodedPrompt;
}

/** An asynchronous prompt encoder (it runs a session, e.g. CLIP's text encoder). */
export interface AsyncPromptEncoder {
  /** Conditioning dims of one prompt (no batch axis), e.g. [77, 768]. */
  readonly condDims: readonly number[];
  encode(text: string): Promise<EncodedPrompt>;
}
