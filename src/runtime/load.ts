// Runs in the inference process and the CLI.
// loadModel: manifest -> prompt encoder + UNet session -> a LoadedModel ready to sample.
import { join } from 'node:path';
import type { Shape } from '../diffusion/types.ts';
import { loadCoarsePrior } from './coarse-prior.ts';
import { ModelError } from './errors.ts';
import { loadLatentModel } from './latent/load.ts';
import { readManifest } from './manifest.ts';
import { defaultModelsDir, resolveModelDir } from './models-dir.ts';
import { loadPromptEncoder } from './prompt/encoder.ts';
import type { CudaAvailability, RuntimeOptions } from './providers.ts';
import { createSession } from './session.ts';
import type { LoadedModel } from './types.ts';
import { createUnetDenoiser, planUnet } from './unet-denoiser.ts';

/** Options of loadModel: device/threads plus where named models live. */
export interface LoadModelOptions extends RuntimeOptions {
  /** Folder of named models (default: the repository's models/). */
  modelsDir?: string;
  /** CUDA probe override (tests). */
  cudaAvailability?: () => CudaAvailability;
}

/** Load a model folder (by name or path): validate the manifest, open the sessions (UNet; latent: text encoder and VAE too), check their I/O, build the Denoiser. */
export async function loadModel(nameOrDir: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const dir = resolveModelDir(nameOrDir, options.modelsDir ?? defaultModelsDir());
  const manifest = readManifest(dir);
  if (manifest.family === 'latent') return loadLatentModel(dir, manifest, options, options.cudaAvailability);
  if (manifest.family !== 'pixel' && manifest.family !== 'if') {
    throw new ModelError(
      'bad-manifest',
      `${join(dir, 'model.json')}: model family "${String(manifest.family)}" is not supported (supported: pixel, latent, if)`,
    );
  }
  const encoder = loadPromptEncoder(dir, manifest.prompt);
  const sampleShape: Shape = { ...manifest.sample };
  const learnedVariance = manifest.scheduler.variance_type === 'learned_range';
  const prior = manifest.prior ? await loadCoarsePrior(dir, manifest.prior, sampleShape) : undefined;
  const session = await createSession(join(dir, manifest.unet.file), options, options.cudaAvailability);
  let plan;
  try {
    plan = planUnet(session, manifest.unet, sampleShape, encoder.condDims, learnedVariance);
  } catch (err) {
    await session.dispose();
    throw err;
  }
  const denoiser = createUnetDenoiser(session, manifest.unet, plan); // raw output; the sampling loop reads prediction_type
  return {
    name: manifest.name,
    dir,
    manifest,
    sampleShape,
    imageShape: sampleShape,
    learnedVariance,
    denoiser,
    device: session.device,
    fallbackReason: session.fallbackReason,
    deviceInfo: session.deviceInfo,
    encodePrompt: async (text) => encoder.encode(text),
    coarsePrior: prior ? (understood, mask) => prior.forConcepts(understood, mask) : undefined,
    toSample: async (image) => image.slice(),
    fromSample: async (sample) => sample.slice(),
    modelTimeMs: () => session.timeMs(),
    dispose: () => session.dispose(),
  };
}
