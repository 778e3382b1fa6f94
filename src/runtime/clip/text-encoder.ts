// Runs in the inference process and the CLI.
// The CLIP text encoder of a latent model: token ids [1, 77] -> per-token hidden states [1, 77, D],
// the conditioning Stable Diffusion's UNet cross-attends to.
import { Tensor } from 'onnxruntime-node';
import { ModelError } from '../errors.ts';
import type { ClipPromptManifest } from '../latent/schema.ts';
import { checkTensors, type ModelSession } from '../session.ts';
import type { EncodedPrompt } from '../types.ts';
import { runFloat } from '../tensors.ts';
import type { AsyncPromptEncoder } from '../prompt/types.ts';
import type { ClipTokenizer } from './tokenizer.ts';


function idsTensor(ids: readonly number[], type: string): Tensor {
  if (type === 'int64')
    return new Tensor('int64', BigInt64Array.from(ids.map((i) => BigInt(i))), [1, ids.length]);
  if (type === 'int32') return new Tensor('int32', Int32Array.from(ids), [1, ids.length]);
  throw new ModelError('model-io', `token ids of type ${type} are not supported (int64 or int32)`);
}

/** Check the text encoder's I/O and build the encoder: pad/truncate to max_length, run, return hidden states [max_length, hidden_size]; results cached per text. */
export function createClipTextEncoder(
  session: ModelSession,
  tokenizer: ClipTokenizer,
  prompt: ClipPromptManifest,
): AsyncPromptEncoder {
  const L = prompt.max_length;
  const D = prompt.hidden_size;
  checkTensors(session.file, 'output', session.outputs, [
    {
      name: prompt.output,
      role: 'prompt.output',
      types: ['float32', 'float16'],
      ranks: [3],
      dims: [null, L, D],
    },
  ]);
  const extraInputs = [...session.inputs.keys()].filter((n) => n !== prompt.input);
  const expected = [
    {
      name: prompt.input,
      role: 'prompt.input',
      types: ['int64', 'int32'] as const,
      ranks: [2],
      dims: [null, L],
    },
    ...extraInputs
      .filter((n) => n === 'attention_mask')
      .map((n) => ({ name: n, role: 'attention mask', types: ['int64', 'int32'] as const, ranks: [2] })),
  ];
  checkTensors(session.file, 'input', session.inputs, expected);
  const idType = session.inputs.get(prompt.input)!.type;
  const maskType = session.inputs.get('attention_mask')?.type;
  const cache = new Map<string, EncodedPrompt>();
  return {
    condDims: [L, D],
    async encode(text) {
      const hit = cache.get(text);
      if (hit) return hit;
      const ids = tokenizer.encodePadded(text);
      const feeds: Record<string, Tensor> = { [prompt.input]: idsTensor(ids, idType) };
      // Stable Diffusion runs its text encoder without a mask; a declared mask gets all ones (the same thing).
      if (maskType) feeds.attention_mask = idsTensor(new Array<number>(L).fill(1), maskType);
      const { data } = await runFloat(session, feeds, prompt.output, L * D);
      const words = text.trim() === '' ? [] : [{ label: text.trim(), weight: 1 }];
      // Words past CLIP's context length never reach the model: report them rather than drop them silently.
      const cut = tokenizer.truncated(text);
      const result: EncodedPrompt = {
        cond: { data: data.slice(), dims: [L, D] },
        understood: words,
        unknown: cut ? [`(past ${L} tokens, ignored) ${cut}`] : [],
      };
      if (cache.size < 64) cache.set(text, result);
      return result;
    },
  };
}
