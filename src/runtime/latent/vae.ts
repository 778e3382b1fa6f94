// Runs in the inference process and the CLI.
// The VAE of a latent diffusion model (Rombach et al. 2022): images in [-1, 1] <-> latents, with the
// config's scaling: z = scaling_factor * (mean - shift_factor), image = decode(z / scaling_factor + shift_factor).
import type { Shape } from '../../diffusion/types.ts';
import { ModelError } from '../errors.ts';
import { checkTensors, type ModelSession } from '../session.ts';
import type { VaeManifest } from './schema.ts';
import { floatTensor, floatTypeOf, runFloat } from '../tensors.ts';

/** Image <-> latent conversion of one sample (no batch axis). */
export interface Vae {
  /** Latent z (diffusion sample) -> image CHW in [-1, 1] (values may overshoot; callers clamp when converting to pixels). */
  decode(latent: Float32Array): Promise<Float32Array>;
  /** Image CHW in [-1, 1] -> latent z, from the posterior mean (deterministic). */
  encode(image: Float32Array): Promise<Float32Array>;
  /** Whether the model has an encoder (image inputs possible). */
  readonly canEncode: boolean;
}

const float16Fix =
  'export the VAE decoder in float32, or use a VAE fixed for float16 such as madebyollin/sdxl-vae-fp16-fix, whose config says force_upcast false';

/** Why a float16 decoder of a VAE that overflows in float16 (force_upcast, SDXL's) is refused, and what runs instead. */
export function float16Refusal(file: string): string {
  return `${file}: this VAE overflows in float16 (its config says force_upcast, as SDXL's VAE does) and its decoder is float16; ${float16Fix}`;
}

/** Check the decoder (and encoder) I/O against the latent and image shapes and build the Vae. */
export function createVae(
  vae: VaeManifest,
  latent: Shape,
  image: Shape,
  decoder: ModelSession,
  encoder?: ModelSession,
): Vae {
  const { channels: c, height: h, width: w } = latent;
  const { channels: C, height: H, width: W } = image;
  const floats = ['float32', 'float16'] as const;
  checkTensors(decoder.file, 'input', decoder.inputs, [
    { name: vae.decoder_input, role: 'vae.decoder_input', types: floats, ranks: [4], dims: [null, c, h, w] },
  ]);
  checkTensors(decoder.file, 'output', decoder.outputs, [
    {
      name: vae.decoder_output,
      role: 'vae.decoder_output',
      types: floats,
      ranks: [4],
      dims: [null, C, H, W],
    },
  ]);
  const decType = floatTypeOf(decoder, vae.decoder_input, 'input');
  if (vae.force_upcast && decType === 'float16')
    throw new ModelError('bad-manifest', float16Refusal(decoder.file));
  let encType: 'float32' | 'float16' = 'float32';
  if (encoder) {
    checkTensors(encoder.file, 'input', encoder.inputs, [
      {
        name: vae.encoder_input,
        role: 'vae.encoder_input',
        types: floats,
        ranks: [4],
        dims: [null, C, H, W],
      },
    ]);
    checkTensors(encoder.file, 'output', encoder.outputs, [
      { name: vae.encoder_output, role: 'vae.encoder_output', types: floats, ranks: [4] },
    ]);
    const chans = encoder.outputs.get(vae.encoder_output)!.shape[1];
    if (typeof chans === 'number' && chans > 0 && chans !== c && chans !== 2 * c) {
      throw new ModelError(
        'model-io',
        `${encoder.file}: output "${vae.encoder_output}" has ${chans} channels, expected ${c} (latent) or ${2 * c} (mean and log-variance)`,
      );
    }
    encType = floatTypeOf(encoder, vae.encoder_input, 'input');
  }
  const sf = vae.scaling_factor;
  const shift = vae.shift_factor;
  const latentSize = c * h * w;
  const imageSize = C * H * W;
  return {
    canEncode: encoder !== undefined,
    async decode(z) {
      if (z.length !== latentSize)
        throw new ModelError(
          'bad-request',
          `VAE decode: latent has ${z.length} values, expected ${latentSize}`,
        );
      const x = new Float32Array(latentSize);
      for (let i = 0; i < latentSize; i++) x[i] = z[i] / sf + shift;
      const { data } = await runFloat(
        decoder,
        { [vae.decoder_input]: floatTensor(x, [1, c, h, w], decType) },
        vae.decoder_output,
        imageSize,
      );
      for (let i = 0; i < imageSize; i++) {
        if (!Number.isFinite(data[i]))
          throw new ModelError(
            'model-io',
            `${decoder.file}: the VAE decode gave non-finite values${decType === 'float16' ? ` (a float16 overflow: ${float16Fix})` : ''}`,
          );
      }
      return data.slice();
    },
    async encode(img) {
      if (!encoder) {
        throw new ModelError(
          'bad-request',
          'This model has no VAE encoder, so it cannot read images (sketch, inpaint, noise and denoise need one)',
        );
      }
      if (img.length !== imageSize)
        throw new ModelError(
          'bad-request',
          `VAE encode: image has ${img.length} values, expected ${imageSize}`,
        );
      const { data } = await runFloat(
        encoder,
        { [vae.encoder_input]: floatTensor(img, [1, C, H, W], encType) },
        vae.encoder_output,
      );
      if (data.length !== latentSize && data.length !== 2 * latentSize) {
        throw new ModelError(
          'model-io',
          `${encoder.file}: output "${vae.encoder_output}" has ${data.length} values, expected ${latentSize} or ${2 * latentSize}`,
        );
      }
      // [mean, logvar] on the channel axis: the first c channels are the mean.
      const out = new Float32Array(latentSize);
      for (let i = 0; i < latentSize; i++) out[i] = (data[i] - shift) * sf;
      return out;
    },
  };
}
