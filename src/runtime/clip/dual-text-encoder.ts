// Runs in the inference process and the CLI.
// SDXL's prompt encoding (Podell et al. 2023; diffusers' StableDiffusionXLPipeline.encode_prompt): two CLIP
// text encoders, each fed its own tokenizer's ids (the second pads with "!"), their penultimate hidden
// states concatenated per token ([77, D1 + D2]), and the second's pooled projection (`text_embeds`, [P])
// for the UNet's added conditioning. One prompt's conditioning holds both: the L x (D1 + D2) states, then
// the P pooled values (dims [L * (D1 + D2) + P]); the UNet denoiser splits them (see latent/added-cond.ts).
import { Tensor } from 'onnxruntime-node';
import { ModelError } from '../errors.ts';
import { float16ToFloat32 } from '../float16.ts';
import type { ClipPromptManifest, SecondClipManifest } from '../latent/schema.ts';
import type { PooledLayout } from '../latent/added-cond.ts';
import { checkTensors, type ModelSession } from '../session.ts';
import type { EncodedPrompt } from '../types.ts';
import type { AsyncPromptEncoder } from '../prompt/types.ts';
import type { ClipTokenizer } from './tokenizer.ts';

/** The prompt encoder of a two-encoder model, with its conditioning layout. */
export interface DualClipEncoder extends AsyncPromptEncoder, PooledLayout {}

function idsTensor(ids: readonly number[], type: string): Tensor {
  if (type === 'int64') return new Tensor('int64', BigInt64Array.from(ids.map((i) => BigInt(i))), [1, ids.length]);
  if (type === 'int32') return new Tensor('int32', Int32Array.from(ids), [1, ids.length]);
  throw new ModelError('model-io', `token ids of type ${type} are not supported (int64 or int32)`);
}

function checkInputs(session: ModelSession, input: string, L: number): void {
  checkTensors(session.file, 'input', session.inputs, [
    { name: input, role: 'token ids', types: ['int64', 'int32'], ranks: [2], dims: [null, L] },
    ...[...session.inputs.keys()]
      .filter((n) => n === 'attention_mask')
      .map((n) => ({ name: n, role: 'attention mask', types: ['int64', 'int32'] as const, ranks: [2] })),
  ]);
}

function floats(session: ModelSession, out: Tensor | undefined, name: string, size: number): Float32Array {
  const data =
    out?.type === 'float16' ? float16ToFloat32(out.data as Uint16Array) : out?.type === 'float32' ? (out.data as Float32Array) : undefined;
  if (!data || data.length !== size)
    throw new ModelError('model-io', `${session.file}: output "${name}" ${out ? `has ${out.type} [${out.dims.join(', ')}]` : 'is missing'}, expected ${size} float values`);
  return data;
}

async function runIds(session: ModelSession, input: string, ids: readonly number[], outputs: string[]): Promise<Record<string, Tensor>> {
  const feeds: Record<string, Tensor> = { [input]: idsTensor(ids, session.inputs.get(input)!.type) };
  const mask = session.inputs.get('attention_mask')?.type;
  // SDXL runs its text encoders without a mask; a declared mask gets all ones (the same thing).
  if (mask) feeds.attention_mask = idsTensor(new Array<number>(ids.length).fill(1), mask);
  return (await session.run(feeds, outputs)) as Record<string, Tensor>;
}

/** Check both encoders' I/O against the manifest and build the encoder; results cached per text. */
export function createDualClipTextEncoder(
  first: ModelSession,
  firstTokenizer: ClipTokenizer,
  second: ModelSession,
  secondTokenizer: ClipTokenizer,
  prompt: ClipPromptManifest & { text_encoder_2: SecondClipManifest },
): DualClipEncoder {
  const two = prompt.text_encoder_2;
  const L = prompt.max_length;
  const D1 = prompt.hidden_size;
  const D2 = two.hidden_size;
  const P = two.pooled_size;
  const D = D1 + D2;
  const f = ['float32', 'float16'] as const;
  checkTensors(first.file, 'output', first.outputs, [{ name: prompt.output, role: 'prompt.output', types: f, ranks: [3], dims: [null, L, D1] }]);
  checkTensors(second.file, 'output', second.outputs, [
    { name: two.output, role: 'prompt.text_encoder_2.output', types: f, ranks: [3], dims: [null, L, D2] },
    { name: two.pooled_output, role: 'prompt.text_encoder_2.pooled_output', types: f, ranks: [2], dims: [null, P] },
  ]);
  checkInputs(first, prompt.input, L);
  checkInputs(second, two.input, L);
  if (secondTokenizer.maxLength !== L || firstTokenizer.maxLength !== L)
    throw new ModelError('bad-manifest', `${second.file}: both tokenizers must give ${L} tokens (got ${firstTokenizer.maxLength} and ${secondTokenizer.maxLength})`);
  const hiddenDims = [L, D];
  const size = L * D + P;
  const cache = new Map<string, EncodedPrompt>();
  return {
    condDims: [size],
    hiddenDims,
    pooledSize: P,
    async encode(text) {
      const hit = cache.get(text);
      if (hit) return hit;
      const data = new Float32Array(size);
      // force_zeros_for_empty_prompt: an empty (negative) prompt is all zeros, states and pooled alike
      if (!(prompt.zeros_for_empty && text.trim() === '')) {
        const a = await runIds(first, prompt.input, firstTokenizer.encodePadded(text), [prompt.output]);
        const b = await runIds(second, two.input, secondTokenizer.encodePadded(text), [two.output, two.pooled_output]);
        const h1 = floats(first, a[prompt.output], prompt.output, L * D1);
        const h2 = floats(second, b[two.output], two.output, L * D2);
        for (let t = 0; t < L; t++) {
          data.set(h1.subarray(t * D1, (t + 1) * D1), t * D);
          data.set(h2.subarray(t * D2, (t + 1) * D2), t * D + D1);
        }
        data.set(floats(second, b[two.pooled_output], two.pooled_output, P), L * D);
      }
      const words = text.trim() === '' ? [] : [{ label: text.trim(), weight: 1 }];
      const cut = firstTokenizer.truncated(text);
      const result: EncodedPrompt = {
        cond: { data, dims: [size] },
        understood: words,
        unknown: cut ? [`(past ${L} tokens, ignored) ${cut}`] : [],
      };
      if (cache.size < 64) cache.set(text, result);
      return result;
    },
  };
}
