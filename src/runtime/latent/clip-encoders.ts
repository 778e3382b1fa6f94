// Runs in the inference process and the CLI.
// The prompt encoder of a latent model: one CLIP text encoder (SD 1.x/2.x), or two whose states are
// concatenated and whose second pooled projection feeds the UNet (SDXL), with their tokenizers.
import { join } from 'node:path';
import { createDualClipTextEncoder } from '../clip/dual-text-encoder.ts';
import { createClipTextEncoder } from '../clip/text-encoder.ts';
import { loadClipTokenizer } from '../clip/tokenizer.ts';
import type { ModelSession } from '../session.ts';
import type { AsyncPromptEncoder } from '../prompt/types.ts';
import type { PooledLayout } from './added-cond.ts';
import type { ClipPromptManifest } from './schema.ts';

/** Load the tokenizers and open the text encoder sessions (through `open`, which owns them); `pooled` is set for two encoders. */
export async function openClipEncoders(
  dir: string,
  prompt: ClipPromptManifest,
  open: (file: string) => Promise<ModelSession>,
): Promise<{ encoder: AsyncPromptEncoder; pooled?: PooledLayout }> {
  const tokenizer = loadClipTokenizer(join(dir, prompt.tokenizer), prompt.max_length);
  const two = prompt.text_encoder_2;
  if (!two) return { encoder: createClipTextEncoder(await open(prompt.text_encoder), tokenizer, prompt) };
  const tokenizer2 = loadClipTokenizer(join(dir, two.tokenizer), prompt.max_length);
  const first = await open(prompt.text_encoder);
  const second = await open(two.text_encoder);
  const encoder = createDualClipTextEncoder(first, tokenizer, second, tokenizer2, { ...prompt, text_encoder_2: two });
  return { encoder, pooled: { hiddenDims: encoder.hiddenDims, pooledSize: encoder.pooledSize } };
}
