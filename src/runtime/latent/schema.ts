// Runs in the inference process and the CLI.
// Manifest sections of the latent family (Stable-Diffusion-style ONNX exports) and of the
// precomputed-embedding prompt encoder (IF-style pixel models). zod only; read by manifest.ts.
import { z } from 'zod';

const positiveInt = z.number().int().positive();

/**
 * The second CLIP text encoder of an SDXL-style model (`CLIPTextModelWithProjection`, optimum export):
 * its penultimate hidden states (`hidden_states.<layers - 1>`) and its pooled projection (`text_embeds`).
 */
export const SecondClipSchema = z.object({
  tokenizer: z.string().min(1).default('tokenizer_2'),
  text_encoder: z.string().min(1).default('text_encoder_2/model.onnx'),
  input: z.string().min(1).default('input_ids'),
  /** Per-token states [1, max_length, hidden_size] (SDXL: the penultimate layer's). */
  output: z.string().min(1),
  hidden_size: positiveInt,
  /** The pooled projection [1, pooled_size]. */
  pooled_output: z.string().min(1).default('text_embeds'),
  pooled_size: positiveInt,
});

/** CLIP prompt encoder: a Hugging Face tokenizer folder and the text encoder's ONNX file. */
export const ClipPromptSchema = z.object({
  encoder: z.literal('clip'),
  /** Folder holding vocab.json and merges.txt. */
  tokenizer: z.string().min(1).default('tokenizer'),
  text_encoder: z.string().min(1).default('text_encoder/model.onnx'),
  /** Name of the token-id input. */
  input: z.string().min(1).default('input_ids'),
  /** Name of the per-token hidden-states output ([1, max_length, hidden_size]). */
  output: z.string().min(1).default('last_hidden_state'),
  max_length: positiveInt.default(77),
  /** Width of `output` (with `text_encoder_2`: the first encoder's part of the concatenated states). */
  hidden_size: positiveInt,
  /** SDXL: the second text encoder, whose states are concatenated after the first's and whose pooled projection the UNet takes as `text_embeds`. */
  text_encoder_2: SecondClipSchema.optional(),
  /** An empty prompt is encoded as zeros (model_index.json's force_zeros_for_empty_prompt, SDXL base). */
  zeros_for_empty: z.boolean().default(false),
});

/** Prompt embeddings computed offline (e.g. T5-XXL for DeepFloyd IF): an index of prompts and a raw array file. */
export const PrecomputedPromptSchema = z.object({
  encoder: z.literal('precomputed'),
  /** JSON file: `{ "prompts": ["", "a photo of a cat", ...] }`, in the order of the records of `data`. */
  index: z.string().min(1),
  /** Raw little-endian records, one per prompt, each prod(dims) values. */
  data: z.string().min(1),
  dtype: z.enum(['float32', 'float16']).default('float32'),
  /** Dims of one prompt's embedding, e.g. [77, 4096]. */
  dims: z.array(positiveInt).min(1),
});

/** The VAE of a latent model: decoder (and optional encoder) files, tensor names and the latent scaling. */
export const VaeSchema = z.object({
  decoder: z.string().min(1).default('vae_decoder/model.onnx'),
  /** Absent: the model cannot read images (sketch, inpaint, noise, denoise are refused). */
  encoder: z.string().min(1).optional(),
  /** z = scaling_factor * (latent - shift_factor); SD 1.x/2.x: 0.18215, SDXL: 0.13025. */
  scaling_factor: z.number().positive().default(0.18215),
  shift_factor: z.number().default(0),
  /** The VAE overflows in float16 (its config's force_upcast, SDXL's VAE): a float16 decoder is refused (the fp16-fixed VAE says false). */
  force_upcast: z.boolean().default(false),
  decoder_input: z.string().min(1).default('latent_sample'),
  decoder_output: z.string().min(1).default('sample'),
  encoder_input: z.string().min(1).default('sample'),
  /** `latent_sample` (C channels, used as is) or `latent_parameters` (mean and log-variance, 2C channels: the mean is used). */
  encoder_output: z.string().min(1).default('latent_sample'),
});

export type SecondClipManifest = z.infer<typeof SecondClipSchema>;
export type ClipPromptManifest = z.infer<typeof ClipPromptSchema>;
export type PrecomputedPromptManifest = z.infer<typeof PrecomputedPromptSchema>;
export type VaeManifest = z.infer<typeof VaeSchema>;
