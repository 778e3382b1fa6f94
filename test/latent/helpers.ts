// Helpers of the latent-family tests: the repository's models folder and a counting wrapper of a model's denoiser.
import { resolve } from 'node:path';
import type { DenoiserRequest } from '../../src/diffusion/types.ts';
import type { LoadedModel } from '../../src/runtime/index.ts';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const MODELS_DIR = resolve(ROOT, 'models');

/** The model with its denoiser wrapped to record the batch size of every call. */
export function counting(model: LoadedModel): { model: LoadedModel; batches: number[] } {
  const batches: number[] = [];
  return {
    batches,
    model: {
      ...model,
      denoiser: (t: number, batch: DenoiserRequest[], signal?: AbortSignal) => {
        batches.push(batch.length);
        return model.denoiser(t, batch, signal);
      },
    },
  };
}

/** A smooth test image in [-1, 1], CHW. */
export function testImage(channels: number, height: number, width: number): Float32Array {
  const out = new Float32Array(channels * height * width);
  for (let c = 0; c < channels; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        out[(c * height + y) * width + x] = 0.8 * Math.sin((x + 2 * y + 7 * c) / 9);
  return out;
}
