// Runs in the inference process and the CLI.
// Contracts between the runtime (which owns onnxruntime-node) and the rest of the bot.
import type { X0Refiner } from '../diffusion/coarse-prior.ts';
import type { Conditioning, Denoiser, Shape } from '../diffusion/types.ts';

/** A concept of the model's vocabulary that a prompt matched, for "understood: 🚀 rocket". */
export interface UnderstoodConcept {
  /** Display form, e.g. "🚀 rocket". */
  label: string;
  weight: number;
  /** The concept's emoji, when the model's concepts are emoji (the coarse data prior selects by it). */
  emoji?: string;
}

/** The result of encoding one prompt. */
export interface EncodedPrompt {
  cond: Conditioning;
  /** Concepts (or tokens) the encoder recognised; empty for the empty prompt. */
  understood: UnderstoodConcept[];
  /** Words the encoder did not know; they are reported to the user, never silently dropped. */
  unknown: string[];
}

/** A loaded model, ready to sample. One per model per device; owned by the inference worker. */
export interface LoadedModel {
  name: string;
  /** Absolute path of the model folder. */
  dir: string;
  manifest: import('./manifest.ts').ModelManifest;
  /** Shape of the diffusion sample (pixels for pixel models, latents for latent models). */
  sampleShape: Shape;
  /** Shape of the images the model reads and writes (equal to sampleShape for pixel models). */
  imageShape: Shape;
  /** Whether the UNet returns learned variance (`learned_range`). */
  learnedVariance: boolean;
  denoiser: Denoiser;
  /**
   * Set when the UNet takes guidance as an input (LCM's `timestep_cond`, the guidance-scale embedding):
   * the denoiser for a guidance scale. Guidance then runs through it, not through classifier-free guidance;
   * `denoiser` uses the manifest's default scale.
   */
  guidanceEmbedding?: { dim: number; denoiser(guidanceScale: number): Denoiser };
  /** Device the sessions run on (absent for models not backed by ONNX sessions, e.g. test fakes). */
  device?: 'cpu' | 'cuda' | 'webgpu' | 'auto';
  /** Set when the device asked for is not used and the CPU is (`fallbackToCpu`, or `auto` without a GPU). */
  fallbackReason?: string;
  /** Device asked for and used, the WebGPU adapter, and why (absent for models not backed by ONNX sessions). */
  deviceInfo?: import('./providers.ts').DeviceInfo;
  encodePrompt(text: string): Promise<EncodedPrompt>;
  /**
   * The coarse data prior from one prompt's understood concepts (the manifest's `prior`), or
   * undefined when the model has none or none of the concepts has training images. A `mask`
   * (H*W sample pixels, 1 = new content) confines it to the blocks the mask covers (inpainting);
   * undefined when too little is covered (priorRegion).
   */
  coarsePrior?(understood: readonly UnderstoodConcept[], mask?: Float32Array): X0Refiner | undefined;
  /** Image in [-1, 1] CHW at imageShape -> diffusion sample (identity for pixel models, VAE encode for latent). */
  toSample(image: Float32Array): Promise<Float32Array>;
  /** Diffusion sample -> image in [-1, 1] CHW at imageShape. */
  fromSample(sample: Float32Array): Promise<Float32Array>;
  /**
   * A cheap approximation of fromSample for live previews and GIF frames (latent models: a tiny
   * autoencoder or a linear latent-to-RGB projection); absent: frames use fromSample (pixel models).
   */
  previewSample?(sample: Float32Array): Promise<Float32Array>;
  /** What draws previews and GIF frames, for /info (absent with previewSample). */
  previewDecoder?: string;
  /** Time spent inside session.run since load, in milliseconds (for benchmarks and --json). */
  modelTimeMs(): number;
  dispose(): Promise<void>;
}
