// Runs in the inference process and the CLI.
// The manifest section `preview_decoder` of latent models (zod only; read by manifest.ts): a tiny
// autoencoder decoder for live previews and GIF frames (preview-decoder.ts).
import { z } from 'zod';

/** Manifest section `preview_decoder`: a tiny autoencoder decoder (e.g. TAESD exported to ONNX). */
export const PreviewDecoderSchema = z.object({
  /** ONNX file, relative to the model folder. */
  file: z.string().min(1),
  input: z.string().min(1).default('latent_sample'),
  output: z.string().min(1).default('sample'),
  /** The decoder reads z / scaling_factor + shift_factor of the sampler's latent z (TAESD for SD 1.x/SDXL: 1 and 0, it reads z itself). */
  scaling_factor: z.number().positive().default(1),
  shift_factor: z.number().default(0),
  /** What its output spans: diffusers' AutoencoderTiny gives [-1, 1], the original TAESD decoder [0, 1]. */
  output_range: z.enum(['-1..1', '0..1']).default('-1..1'),
});
export type PreviewDecoderManifest = z.infer<typeof PreviewDecoderSchema>;
