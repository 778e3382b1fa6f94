// Runs in the inference process and the CLI.
// Precomputed prompt embeddings (the study's way with DeepFloyd IF, whose T5-XXL text encoder is
// too large to load next to the UNet): an index of prompt texts and one raw record per prompt.
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { ModelError } from '../errors.ts';
import { float16ToFloat32 } from '../float16.ts';
import { readJsonFile } from '../json-file.ts';
import { confinedPath } from '../model-files.ts';
import type { PrecomputedPromptManifest } from '../latent/schema.ts';
import type { PromptEncoder } from '../prompt/types.ts';
import type { EncodedPrompt } from '../types.ts';

/** The lookup key of a prompt: whitespace collapsed and trimmed (case kept: T5 is case-sensitive). */
export function promptKey(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/** Embeddings for a fixed set of prompts; encoding any other prompt is an error that lists the available ones. */
export class PrecomputedEncoder implements PromptEncoder {
  readonly condDims: readonly number[];
  private readonly rows = new Map<string, number>();
  private readonly folded = new Map<string, number>();

  constructor(
    readonly prompts: readonly string[],
    private readonly data: Float32Array,
    dims: readonly number[],
    private readonly source = 'prompt embeddings',
  ) {
    this.condDims = [...dims];
    const size = dims.reduce((a, b) => a * b, 1);
    if (data.length !== prompts.length * size) {
      throw new ModelError(
        'bad-manifest',
        `${source}: ${prompts.length} prompts of [${dims.join(', ')}] need ${prompts.length * size} values, the data file holds ${data.length}`,
      );
    }
    prompts.forEach((p, i) => {
      const key = promptKey(p);
      if (!this.rows.has(key)) this.rows.set(key, i);
      if (!this.folded.has(key.toLowerCase())) this.folded.set(key.toLowerCase(), i);
    });
  }

  /** The stored embedding of a prompt (exact match after whitespace clean-up, else case-insensitive); unknown prompts throw ModelError('bad-request'). */
  encode(text: string): EncodedPrompt {
    const key = promptKey(text);
    const row = this.rows.get(key) ?? this.folded.get(key.toLowerCase());
    if (row === undefined) {
      const shown = this.prompts.filter((p) => promptKey(p) !== '').map((p) => `"${p}"`);
      const list = shown.length > 0 ? shown.join(', ') : 'none';
      const what = key === '' ? 'the empty prompt (used for classifier-free guidance)' : `"${key}"`;
      throw new ModelError(
        'bad-request',
        `This model only knows precomputed prompts, and ${what} is not one of them. Available prompts: ${list}`,
      );
    }
    const size = this.condDims.reduce((a, b) => a * b, 1);
    return {
      cond: { data: this.data.slice(row * size, (row + 1) * size), dims: this.condDims },
      understood: key === '' ? [] : [{ label: key, weight: 1 }],
      unknown: [],
    };
  }
}

/** Load `prompt.index` (JSON `{ "prompts": [...] }`) and `prompt.data` (raw little-endian float32/float16 records) from a model folder. */
export function loadPrecomputed(dir: string, prompt: PrecomputedPromptManifest): PrecomputedEncoder {
  const indexFile = confinedPath(dir, prompt.index, 'prompt.index');
  const dataFile = confinedPath(dir, prompt.data, 'prompt.data');
  const prompts = (readJsonFile(indexFile, 'prompt index') as { prompts?: unknown } | null)?.prompts;
  if (!Array.isArray(prompts) || !prompts.every((p) => typeof p === 'string')) {
    throw new ModelError('bad-manifest', `${indexFile}: "prompts" must be a list of strings`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(dataFile);
  } catch (err) {
    throw new ModelError(
      'bad-manifest',
      `Cannot read prompt embeddings ${dataFile}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (endianness() !== 'LE')
    throw new ModelError('bad-manifest', 'precomputed embeddings need a little-endian host');
  const width = prompt.dtype === 'float16' ? 2 : 4;
  if (bytes.length % width !== 0)
    throw new ModelError(
      'bad-manifest',
      `${dataFile}: ${bytes.length} bytes is not a whole number of ${prompt.dtype} values`,
    );
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const data =
    prompt.dtype === 'float16'
      ? float16ToFloat32(new Uint16Array(copy.buffer))
      : new Float32Array(copy.buffer);
  return new PrecomputedEncoder(prompts as string[], data, prompt.dims, dataFile);
}
