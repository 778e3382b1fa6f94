// Runs in the inference process and the CLI.
// A model manifest (model.json) for a Stable-Diffusion-style ONNX folder in the diffusers/optimum
// layout, read from its own config files: model_index.json, scheduler/scheduler_config.json,
// unet/config.json, text_encoder/config.json, vae_decoder/config.json, tokenizer/*; SDXL-style
// folders also text_encoder_2/config.json and tokenizer_2/*.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '../errors.ts';
import { readJsonFile } from '../json-file.ts';
import { parseManifest, type ModelManifest } from '../manifest.ts';
import { isSchedulerClass, resolveScheduler, SCHEDULER_CLASSES } from '../../diffusion/samplers/config.ts';
import { samplerOfClass } from '../../diffusion/samplers/registry.ts';

/** Files every latent model folder must hold (relative paths). */
export const LATENT_REQUIRED_FILES = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  'text_encoder/model.onnx',
  'tokenizer/vocab.json',
  'tokenizer/merges.txt',
  'unet/model.onnx',
  'vae_decoder/model.onnx',
] as const;

/** Sub-folders of the layout whose every file is needed (weights may sit next to model.onnx as external data). */
export const LATENT_FOLDERS = [
  'scheduler',
  'text_encoder',
  'text_encoder_2',
  'tokenizer',
  'tokenizer_2',
  'unet',
  'vae_decoder',
  'vae_encoder',
] as const;

/** Whether a repository path (relative to the model folder) belongs to the latent layout: model_index.json, README.md, or a file of one of LATENT_FOLDERS. */
export function isLatentLayoutFile(path: string): boolean {
  if (path === 'model_index.json' || path === 'README.md' || path === 'LICENSE' || path === 'LICENSE.md')
    return true;
  const slash = path.indexOf('/');
  if (slash < 0) return false;
  return (LATENT_FOLDERS as readonly string[]).includes(path.slice(0, slash));
}

/**
 * Why a diffusion-transformer folder (SD3/Flux: transformer/ with hidden_states, timestep,
 * encoder_hidden_states, pooled_projections) is refused, and what runs instead.
 */
export function transformerRefusal(where: string): string {
  return (
    `${where}: a diffusion-transformer model (transformer/model.onnx, SD3/Flux-style) is not supported: its transformer ` +
    'takes pooled_projections and joint CLIP + T5 prompt embeddings, and this runtime runs CLIP text encoders only ' +
    '(one, or two SDXL-style). A flow-matching model runs when its denoiser has the UNet contract ' +
    '(unet/model.onnx: sample, timestep, encoder_hidden_states -> the velocity).'
  );
}

/** Options of the generated manifest. */
export interface DiffusersManifestOptions {
  name: string;
  description?: string;
  /** License text; default: the README's front-matter `license:`, else a pointer to the source. */
  license?: string;
  /** Where it came from (e.g. "stabilityai/sd-turbo@main"), for the description and attribution. */
  source?: string;
  defaults?: { steps: number; guidance: number };
}

function readJson(dir: string, rel: string, required: boolean): Record<string, unknown> | undefined {
  const file = join(dir, rel);
  if (!existsSync(file)) {
    if (required)
      throw new ModelError('bad-manifest', `${dir} is not a diffusers ONNX model folder: ${rel} is missing`);
    return undefined;
  }
  return readJsonFile(file, 'pipeline file') as Record<string, unknown>;
}

function num(obj: Record<string, unknown> | undefined, key: string): number | undefined {
  const v = obj?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** The `license:` of a Hugging Face README's YAML front matter, if any. */
export function readmeLicense(dir: string): string | undefined {
  const file = join(dir, 'README.md');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const fm = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  const m = fm ? /^license:\s*(.+)$/m.exec(fm[1]) : null;
  return m ? m[1].trim().replace(/^["']|["']$/g, '') : undefined;
}

/**
 * Few-step distilled models (SD-Turbo, SDXL-Turbo) sample in 1 step without guidance, SDXL-Lightning-style
 * ones in 4 without guidance; LCM models (LCMScheduler) as diffusers' LatentConsistencyModelPipeline
 * defaults them: 4 steps at guidance 8.5; flow-matching models (FlowMatchEulerDiscreteScheduler) as
 * StableDiffusion3Pipeline does: 28 steps at 7; SDXL (`xl`: two text encoders) 40 steps at diffusers'
 * StableDiffusionXLPipeline guidance 5; others 50 steps at 7.5.
 */
export function defaultsFor(name: string, schedulerClass?: string, xl = false): { steps: number; guidance: number } {
  if (schedulerClass === 'LCMScheduler') return { steps: 4, guidance: 8.5 };
  if (schedulerClass === 'FlowMatchEulerDiscreteScheduler') return { steps: 28, guidance: 7 };
  if (/turbo/i.test(name)) return { steps: 1, guidance: 1 };
  if (/lightning/i.test(name)) return { steps: 4, guidance: 1 };
  return xl ? { steps: 40, guidance: 5 } : { steps: 50, guidance: 7.5 };
}

/** The penultimate hidden-state output of an optimum CLIP export (`hidden_states.0` is the embeddings, so layer L - 1 is `hidden_states.<L - 1>`), as SDXL's pipeline reads `hidden_states[-2]`. */
export function penultimateOutput(layers: number): string {
  return `hidden_states.${layers - 1}`;
}

/**
 * The prompt section's SDXL part: the second encoder (tokenizer_2, text_encoder_2: its penultimate states
 * and the pooled projection `text_embeds`) and the empty-prompt rule. Throws on an SDXL refiner (no first
 * text encoder, aesthetic-score time ids: image-to-image only).
 */
function secondEncoder(dir: string, index: Record<string, unknown>): Record<string, unknown> {
  if (!('text_encoder' in index) || index.requires_aesthetics_score === true || !existsSync(join(dir, 'text_encoder', 'model.onnx')))
    throw new ModelError(
      'bad-manifest',
      `${dir}: an SDXL refiner (text_encoder_2 only, aesthetic-score time ids) is not supported; pull an SDXL base or Turbo export (text_encoder and text_encoder_2)`,
    );
  for (const rel of ['text_encoder_2/model.onnx', 'tokenizer_2/vocab.json', 'tokenizer_2/merges.txt']) {
    if (!existsSync(join(dir, rel)))
      throw new ModelError('bad-manifest', `${dir} is not an SDXL ONNX model folder: ${rel} is missing`);
  }
  const cfg = readJson(dir, 'text_encoder_2/config.json', false);
  const hidden = num(cfg, 'hidden_size') ?? 1280;
  return {
    tokenizer: 'tokenizer_2',
    text_encoder: 'text_encoder_2/model.onnx',
    input: 'input_ids',
    // OpenCLIP ViT-bigG (SDXL): 32 layers, 1280 wide, projection 1280
    output: penultimateOutput(num(cfg, 'num_hidden_layers') ?? 32),
    hidden_size: hidden,
    pooled_output: 'text_embeds',
    pooled_size: num(cfg, 'projection_dim') ?? hidden,
  };
}

/**
 * The scheduler section of a pulled model: its scheduler_config.json as published (`_class_name` and
 * every key; the diffusion core honours or refuses each by name), with the class's defaults for the
 * two keys the manifest needs, and the sampler that runs that class. Throws a ModelError naming an
 * unsupported class or key and what to do.
 */
export function schedulerFromConfig(sched: Record<string, unknown>, dir: string): { scheduler: Record<string, unknown>; sampler: string } {
  const cls = typeof sched._class_name === 'string' ? sched._class_name : '';
  const sampler = samplerOfClass(sched);
  if (!isSchedulerClass(cls) || !sampler) {
    throw new ModelError(
      'bad-manifest',
      `${dir}: scheduler class "${cls || '(none)'}" is not supported; supported: ${Object.keys(SCHEDULER_CLASSES).join(', ')}. ` +
        'Set "_class_name" in scheduler/scheduler_config.json to one of them (the model then samples with that class) and pull again.',
    );
  }
  let settings: Record<string, unknown>;
  try {
    settings = resolveScheduler(sched, cls).settings;
  } catch (e) {
    throw new ModelError(
      'bad-manifest',
      `${dir}: scheduler/scheduler_config.json: ${(e as Error).message}. Remove or change that key to run the model.`,
    );
  }
  const scheduler = {
    ...sched,
    ...(settings.beta_schedule !== undefined ? { beta_schedule: settings.beta_schedule } : {}),
    num_train_timesteps: settings.num_train_timesteps,
  };
  return { scheduler, sampler };
}

/**
 * Build the manifest JSON of a diffusers/optimum ONNX folder, validated (throws ModelError naming what
 * is missing or unsupported). Element types are left out: the loader takes them from the sessions.
 */
export function manifestFromDiffusersFolder(
  dir: string,
  options: DiffusersManifestOptions,
): Record<string, unknown> {
  const index = readJson(dir, 'model_index.json', true)!;
  if ('transformer' in index || existsSync(join(dir, 'transformer', 'model.onnx'))) throw new ModelError('bad-manifest', transformerRefusal(dir));
  const xl = 'text_encoder_2' in index || 'tokenizer_2' in index;
  const second = xl ? secondEncoder(dir, index) : undefined;
  for (const rel of LATENT_REQUIRED_FILES) {
    if (!existsSync(join(dir, rel)))
      throw new ModelError('bad-manifest', `${dir} is not a diffusers ONNX model folder: ${rel} is missing`);
  }
  const sched = readJson(dir, 'scheduler/scheduler_config.json', true)!;
  const unetCfg = readJson(dir, 'unet/config.json', false);
  const textCfg = readJson(dir, 'text_encoder/config.json', false);
  const vaeCfg =
    readJson(dir, 'vae_decoder/config.json', false) ?? readJson(dir, 'vae_encoder/config.json', false);
  const tokCfg = readJson(dir, 'tokenizer/tokenizer_config.json', false);

  const { scheduler, sampler } = schedulerFromConfig(sched, dir);
  const latentChannels = num(unetCfg, 'in_channels') ?? num(vaeCfg, 'latent_channels') ?? 4;
  if (latentChannels !== (num(vaeCfg, 'latent_channels') ?? latentChannels)) {
    throw new ModelError(
      'bad-manifest',
      `${dir}: the UNet takes ${latentChannels} channels but the VAE has ${num(vaeCfg, 'latent_channels')} (an inpainting-specific UNet with mask channels is not supported)`,
    );
  }
  const latentSize = num(unetCfg, 'sample_size') ?? 64;
  const blocks = Array.isArray(vaeCfg?.block_out_channels) ? vaeCfg.block_out_channels.length : 4;
  const factor = 2 ** Math.max(0, blocks - 1);
  const hidden = num(textCfg, 'hidden_size') ?? (second ? 768 : num(unetCfg, 'cross_attention_dim') ?? 768);
  const maxLength = Math.min(
    num(tokCfg, 'model_max_length') ?? 77,
    num(textCfg, 'max_position_embeddings') ?? 77,
  );
  const hasEncoder = existsSync(join(dir, 'vae_encoder', 'model.onnx'));
  const license = options.license ?? readmeLicense(dir) ?? `see ${options.source ?? 'the model source'}`;

  const json = {
    name: options.name,
    family: 'latent',
    description:
      options.description ??
      `Stable-Diffusion${xl ? '-XL' : ''}-style ONNX model${options.source ? ` (${options.source})` : ''}`,
    license,
    ...(options.source ? { attribution: options.source } : {}),
    sample: { channels: latentChannels, height: latentSize, width: latentSize },
    image: {
      channels: num(vaeCfg, 'out_channels') ?? 3,
      height: latentSize * factor,
      width: latentSize * factor,
    },
    scheduler,
    unet: {
      file: 'unet/model.onnx',
      inputs: { sample: 'sample', timestep: 'timestep', cond: 'encoder_hidden_states' },
      outputs: { eps: 'out_sample' },
      max_batch: 8,
    },
    prompt: {
      encoder: 'clip',
      tokenizer: 'tokenizer',
      text_encoder: 'text_encoder/model.onnx',
      input: 'input_ids',
      // SDXL: the penultimate states of both encoders (CLIP ViT-L: 12 layers)
      output: second ? penultimateOutput(num(textCfg, 'num_hidden_layers') ?? 12) : 'last_hidden_state',
      max_length: maxLength,
      hidden_size: hidden,
      ...(second ? { text_encoder_2: second, zeros_for_empty: index.force_zeros_for_empty_prompt === true } : {}),
    },
    vae: {
      decoder: 'vae_decoder/model.onnx',
      ...(hasEncoder ? { encoder: 'vae_encoder/model.onnx' } : {}),
      scaling_factor: num(vaeCfg, 'scaling_factor') ?? 0.18215,
      shift_factor: num(vaeCfg, 'shift_factor') ?? 0,
      ...(vaeCfg?.force_upcast === true ? { force_upcast: true } : {}),
      decoder_input: 'latent_sample',
      decoder_output: 'sample',
      encoder_input: 'sample',
      encoder_output: 'latent_sample',
    },
    defaults: {
      ...(options.defaults ?? defaultsFor(`${options.name} ${options.source ?? ''}`, String(sched._class_name), xl)),
      sampler,
    },
  };
  parseManifest(json, join(dir, 'model.json'));
  return json;
}

/** Write `<dir>/model.json` for a diffusers/optimum ONNX folder; returns the validated manifest. */
export function writeDiffusersManifest(dir: string, options: DiffusersManifestOptions): ModelManifest {
  const json = manifestFromDiffusersFolder(dir, options);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json, null, 2) + '\n');
  return parseManifest(json, join(dir, 'model.json'));
}
