// Runs in the inference process and the CLI.
// Loading a latent model (Stable-Diffusion-style ONNX in the diffusers/optimum layout): CLIP
// tokenizer and text encoder (SDXL: two, with the pooled projection and time ids fed to the UNet),
// UNet, VAE decoder and encoder, all on the same execution provider.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Shape } from '../../diffusion/types.ts';
import { ModelError } from '../errors.ts';
import type { ModelManifest, UnetManifest, VaeManifest } from '../manifest.ts';
import type { CudaAvailability, DeviceInfo, RuntimeOptions } from '../providers.ts';
import { createSession, type ModelSession } from '../session.ts';
import type { LoadedModel } from '../types.ts';
import { createUnetDenoiser, planUnet } from '../unet-denoiser.ts';
import { floatTypeOf } from '../tensors.ts';
import { createLinearPreviewDecoder, createTinyPreviewDecoder, latentRgbFactors } from './preview-decoder.ts';
import { createVae } from './vae.ts';
import { planAddedCond } from './added-cond.ts';
import { openClipEncoders } from './clip-encoders.ts';

const TIMESTEP_TYPES = ['float32', 'float16', 'int64', 'int32'] as const;
const FLOW_CLASS = 'FlowMatchEulerDiscreteScheduler';

/** The UNet section with dtypes taken from the session (as the model declares them) and the output name resolved when the model has a single output. */
export function unetAsDeclared(session: ModelSession, unet: UnetManifest): UnetManifest {
  const out = { ...unet, inputs: { ...unet.inputs }, outputs: { ...unet.outputs } };
  if (!session.outputs.has(out.outputs.eps) && session.outputs.size === 1) {
    out.outputs.eps = [...session.outputs.keys()][0];
  }
  if (session.inputs.has(out.inputs.sample)) out.dtype = floatTypeOf(session, out.inputs.sample, 'input');
  const ts = session.inputs.get(out.inputs.timestep)?.type;
  if (ts && (TIMESTEP_TYPES as readonly string[]).includes(ts))
    out.timestep_dtype = ts as UnetManifest['timestep_dtype'];
  return out;
}

/** The VAE section with tensor names resolved where a session has a single input or output under another name (e.g. `latent_parameters`). */
export function vaeAsDeclared(vae: VaeManifest, decoder: ModelSession, encoder?: ModelSession): VaeManifest {
  const only = (m: ReadonlyMap<string, unknown>, name: string): string =>
    !m.has(name) && m.size === 1 ? [...m.keys()][0] : name;
  return {
    ...vae,
    decoder_input: only(decoder.inputs, vae.decoder_input),
    decoder_output: only(decoder.outputs, vae.decoder_output),
    ...(encoder
      ? {
          encoder_input: only(encoder.inputs, vae.encoder_input),
          encoder_output: only(encoder.outputs, vae.encoder_output),
        }
      : {}),
  };
}

/** The model's device: the UNet's, with a note naming any session that runs elsewhere (e.g. an operator WebGPU lacks made it fall back). */
export function modelDeviceInfo(sessions: readonly ModelSession[], unet: ModelSession): DeviceInfo {
  const info = unet.deviceInfo;
  const others = sessions.filter((s) => s.device !== unet.device);
  if (others.length === 0) return info;
  const note = others.map(
    (s) => `${s.file} runs on ${s.device}${s.deviceInfo.reason ? ` (${s.deviceInfo.reason})` : ''}`,
  );
  return { ...info, reason: [info.reason, ...note].filter(Boolean).join('; ') };
}

/** Load a latent-family model folder: every session on the providers chosen from `options`; the denoiser works on scaled latents. */
export async function loadLatentModel(
  dir: string,
  manifest: ModelManifest,
  options: RuntimeOptions = {},
  availability?: () => CudaAvailability,
): Promise<LoadedModel> {
  const { vae, image, prompt } = manifest;
  if (!vae || !image)
    throw new ModelError(
      'bad-manifest',
      `${join(dir, 'model.json')}: a latent model needs "vae" and "image"`,
    );
  if (prompt.encoder !== 'clip') {
    throw new ModelError(
      'bad-manifest',
      `${join(dir, 'model.json')}: latent models encode prompts with "clip" (got "${prompt.encoder}")`,
    );
  }
  const sessions: ModelSession[] = [];
  const open = async (file: string): Promise<ModelSession> => {
    const s = await createSession(join(dir, file), options, availability);
    sessions.push(s);
    return s;
  };
  const disposeAll = async (): Promise<void> => {
    await Promise.all(sessions.map((s) => s.dispose()));
  };
  try {
    const { encoder, pooled } = await openClipEncoders(dir, prompt, open);
    const unetSession = await open(manifest.unet.file);
    const unet = unetAsDeclared(unetSession, manifest.unet);
    if (manifest.scheduler._class_name === FLOW_CLASS && unet.timestep_dtype.startsWith('int'))
      throw new ModelError(
        'bad-manifest',
        `${unetSession.file}: a flow-matching model is fed the fractional timestep sigma x ${manifest.scheduler.num_train_timesteps} (as diffusers feeds SD3), but its input "${unet.inputs.timestep}" is ${unet.timestep_dtype}; export the denoiser with a float32 or float16 timestep`,
      );
    const sampleShape: Shape = { ...manifest.sample };
    const imageShape: Shape = { ...image };
    const learnedVariance = manifest.scheduler.variance_type === 'learned_range';
    // SDXL: the pooled projection and time ids as extra UNet inputs (the image size is the target size)
    const added = planAddedCond(unetSession, pooled, imageShape);
    const plan = planUnet(unetSession, unet, sampleShape, encoder.condDims, learnedVariance, added);
    // Raw output; the sampling loop reads prediction_type. An LCM UNet (timestep_cond) gets its guidance embedding.
    const denoiser = createUnetDenoiser(unetSession, unet, plan, manifest.defaults.guidance);
    const gc = plan.guidanceCond;
    const guidanceEmbedding = gc
      ? { dim: gc.dim, denoiser: (scale: number) => createUnetDenoiser(unetSession, unet, plan, scale) }
      : undefined;
    const decoder = await open(vae.decoder);
    const encoderFile =
      vae.encoder ??
      (existsSync(join(dir, 'vae_encoder', 'model.onnx')) ? 'vae_encoder/model.onnx' : undefined);
    const vaeEncoder = encoderFile ? await open(encoderFile) : undefined;
    const codec = createVae(
      vaeAsDeclared(vae, decoder, vaeEncoder),
      sampleShape,
      imageShape,
      decoder,
      vaeEncoder,
    );
    // Previews and GIF frames: the manifest's tiny autoencoder, else the family's linear projection.
    const pd = manifest.preview_decoder;
    const preview = pd
      ? createTinyPreviewDecoder(pd, sampleShape, imageShape, await open(pd.file))
      : createLinearPreviewDecoder(
          sampleShape,
          imageShape,
          latentRgbFactors(sampleShape.channels, vae.scaling_factor, vae.shift_factor),
        );
    const fallback = sessions.find((s) => s.fallbackReason);
    const deviceInfo = modelDeviceInfo(sessions, unetSession);
    return {
      name: manifest.name,
      dir,
      manifest,
      sampleShape,
      imageShape,
      learnedVariance,
      denoiser,
      ...(guidanceEmbedding ? { guidanceEmbedding } : {}),
      device: deviceInfo.device,
      fallbackReason: fallback?.fallbackReason,
      deviceInfo,
      encodePrompt: (t) => encoder.encode(t),
      toSample: (img) => codec.encode(img),
      fromSample: (z) => codec.decode(z),
      previewSample: (z) => preview.decode(z),
      previewDecoder: preview.name,
      modelTimeMs: () => sessions.reduce((a, s) => a + s.timeMs(), 0),
      dispose: disposeAll,
    };
  } catch (err) {
    await disposeAll();
    throw err;
  }
}
