// Runs in the inference process and the CLI.
// Cheap decoders for live previews and GIF frames of latent models; the final image still goes
// through the full VAE. Either a tiny autoencoder decoder named in the manifest (TAESD-style ONNX:
// latent -> image in one small network), or a linear latent -> RGB projection per model family,
// upsampled to the image size. The projection's coefficients are least-squares fits of VAE-decoded
// colours on latents, as published in ComfyUI's comfy/latent_formats.py (`latent_rgb_factors` and
// `latent_rgb_factors_bias` of SD15, SDXL, SD3 and Flux); they act on the sampler's (scaled) latent.
import type { Shape } from '../../diffusion/types.ts';
import { ModelError } from '../errors.ts';
import { checkTensors, type ModelSession } from '../session.ts';
import { floatTensor, floatTypeOf, runFloat } from '../tensors.ts';
import type { PreviewDecoderManifest } from './preview-schema.ts';

/** Latent -> image in [-1, 1] CHW at the model's image shape, cheaply; `name` says which decoder it is (for /info). */
export interface PreviewDecoder {
  readonly name: string;
  decode(latent: Float32Array): Promise<Float32Array>;
}

/** A linear projection: RGB = sum over channels of latent[c] * factors[c] + bias. */
export interface LatentRgbFactors {
  family: string;
  factors: readonly (readonly [number, number, number])[];
  bias: readonly [number, number, number];
}

const SD1: LatentRgbFactors = {
  family: 'SD 1.x/2.x',
  factors: [
    [0.3512, 0.2297, 0.3227],
    [0.325, 0.4974, 0.235],
    [-0.2829, 0.1762, 0.2721],
    [-0.212, -0.2616, -0.7177],
  ],
  bias: [0, 0, 0],
};

const SDXL: LatentRgbFactors = {
  family: 'SDXL',
  factors: [
    [0.3651, 0.4232, 0.4341],
    [-0.2533, -0.0042, 0.1068],
    [0.1076, 0.1111, -0.0362],
    [-0.3165, -0.2492, -0.2188],
  ],
  bias: [0.1084, -0.0175, -0.0011],
};

const SD3: LatentRgbFactors = {
  family: 'SD3 (16-channel flow)',
  factors: [
    [-0.0922, -0.0175, 0.0749],
    [0.0311, 0.0633, 0.0954],
    [0.1994, 0.0927, 0.0458],
    [0.0856, 0.0339, 0.0902],
    [0.0587, 0.0272, -0.0496],
    [-0.0006, 0.1104, 0.0309],
    [0.0978, 0.0306, 0.0427],
    [-0.0042, 0.1038, 0.1358],
    [-0.0194, 0.002, 0.0669],
    [-0.0488, 0.013, -0.0268],
    [0.0922, 0.0988, 0.0951],
    [-0.0278, 0.0524, -0.0542],
    [0.0332, 0.0456, 0.0895],
    [-0.0069, -0.003, -0.081],
    [-0.0596, -0.0465, -0.0293],
    [-0.1448, -0.1463, -0.1189],
  ],
  bias: [0.2394, 0.2135, 0.1925],
};

const FLUX: LatentRgbFactors = {
  family: 'Flux (16-channel flow)',
  factors: [
    [-0.0346, 0.0244, 0.0681],
    [0.0034, 0.021, 0.0687],
    [0.0275, -0.0668, -0.0433],
    [-0.0174, 0.016, 0.0617],
    [0.0859, 0.0721, 0.0329],
    [0.0004, 0.0383, 0.0115],
    [0.0405, 0.0861, 0.0915],
    [-0.0236, -0.0185, -0.0259],
    [-0.0245, 0.025, 0.118],
    [0.1008, 0.0755, -0.0421],
    [-0.0515, 0.0201, 0.0011],
    [0.0428, -0.0012, -0.0036],
    [0.0817, 0.0765, 0.0749],
    [-0.1264, -0.0522, -0.1103],
    [-0.028, -0.0881, -0.0499],
    [-0.1262, -0.0982, -0.0778],
  ],
  bias: [-0.0329, -0.0718, -0.0851],
};

/** The family's coefficients from the latent's channels and the VAE's scaling (SDXL: 0.13025; Flux: shift 0.1159), or a grey mean for other latents. */
export function latentRgbFactors(
  channels: number,
  scalingFactor: number,
  shiftFactor: number,
): LatentRgbFactors {
  if (channels === 4) return Math.abs(scalingFactor - 0.13025) < 1e-4 ? SDXL : SD1;
  if (channels === 16) return Math.abs(shiftFactor - 0.1159) < 1e-4 ? FLUX : SD3;
  const w = 1 / Math.sqrt(channels);
  return {
    family: `${channels}-channel latent (grey channel mean; no published coefficients)`,
    factors: Array.from({ length: channels }, () => [w, w, w] as const),
    bias: [0, 0, 0],
  };
}

/** Bilinear resize of CHW planes (align-corners off, as image resamplers do). */
function resizePlanes(
  src: Float32Array,
  channels: number,
  h: number,
  w: number,
  H: number,
  W: number,
): Float32Array {
  if (h === H && w === W) return src;
  const out = new Float32Array(channels * H * W);
  const sy = h / H;
  const sx = w / W;
  const x0s = new Int32Array(W);
  const x1s = new Int32Array(W);
  const fxs = new Float32Array(W);
  for (let X = 0; X < W; X++) {
    const fx = Math.min(Math.max((X + 0.5) * sx - 0.5, 0), w - 1);
    x0s[X] = Math.floor(fx);
    x1s[X] = Math.min(x0s[X] + 1, w - 1);
    fxs[X] = fx - x0s[X];
  }
  for (let c = 0; c < channels; c++) {
    const p = c * h * w;
    const q = c * H * W;
    for (let Y = 0; Y < H; Y++) {
      const fy = Math.min(Math.max((Y + 0.5) * sy - 0.5, 0), h - 1);
      const y0 = Math.floor(fy);
      const y1 = Math.min(y0 + 1, h - 1);
      const ty = fy - y0;
      const r0 = p + y0 * w;
      const r1 = p + y1 * w;
      for (let X = 0; X < W; X++) {
        const a = src[r0 + x0s[X]] + (src[r0 + x1s[X]] - src[r0 + x0s[X]]) * fxs[X];
        const b = src[r1 + x0s[X]] + (src[r1 + x1s[X]] - src[r1 + x0s[X]]) * fxs[X];
        out[q + Y * W + X] = a + (b - a) * ty;
      }
    }
  }
  return out;
}

/** The linear projection decoder for a latent of `latent` shape to images of `image` shape (3 channels). */
export function createLinearPreviewDecoder(
  latent: Shape,
  image: Shape,
  coefficients: LatentRgbFactors,
): PreviewDecoder {
  const { channels: c, height: h, width: w } = latent;
  if (coefficients.factors.length !== c)
    throw new ModelError(
      'model-io',
      `preview projection: ${coefficients.factors.length} channels of coefficients for a ${c}-channel latent`,
    );
  const n = h * w;
  return {
    name: `linear latent-to-RGB projection (${coefficients.family} coefficients)`,
    async decode(z) {
      if (z.length !== c * n)
        throw new ModelError(
          'bad-request',
          `preview decode: latent has ${z.length} values, expected ${c * n}`,
        );
      const rgb = new Float32Array(3 * n);
      for (let k = 0; k < 3; k++) {
        const plane = rgb.subarray(k * n, (k + 1) * n);
        plane.fill(coefficients.bias[k]);
        for (let ch = 0; ch < c; ch++) {
          const f = coefficients.factors[ch][k];
          const off = ch * n;
          for (let i = 0; i < n; i++) plane[i] += f * z[off + i];
        }
      }
      return resizePlanes(rgb, 3, h, w, image.height, image.width);
    },
  };
}

/** A tiny autoencoder decoder session (TAESD-style) checked against the latent and image shapes; its output is resized to the image when it differs. */
export function createTinyPreviewDecoder(
  section: PreviewDecoderManifest,
  latent: Shape,
  image: Shape,
  session: ModelSession,
): PreviewDecoder {
  const { channels: c, height: h, width: w } = latent;
  const floats = ['float32', 'float16'] as const;
  const only = (m: ReadonlyMap<string, unknown>, name: string): string =>
    !m.has(name) && m.size === 1 ? [...m.keys()][0] : name;
  const input = only(session.inputs, section.input);
  const output = only(session.outputs, section.output);
  checkTensors(session.file, 'input', session.inputs, [
    { name: input, role: 'preview_decoder.input', types: floats, ranks: [4], dims: [null, c, null, null] },
  ]);
  checkTensors(session.file, 'output', session.outputs, [
    { name: output, role: 'preview_decoder.output', types: floats, ranks: [4], dims: [null, 3, null, null] },
  ]);
  const type = floatTypeOf(session, input, 'input');
  const { scaling_factor: sf, shift_factor: shift } = section;
  const zeroOne = section.output_range === '0..1';
  return {
    name: `tiny autoencoder ${section.file}`,
    async decode(zIn) {
      if (zIn.length !== c * h * w)
        throw new ModelError(
          'bad-request',
          `preview decode: latent has ${zIn.length} values, expected ${c * h * w}`,
        );
      const x = new Float32Array(zIn.length);
      for (let i = 0; i < x.length; i++) x[i] = zIn[i] / sf + shift;
      const { data, dims } = await runFloat(session, { [input]: floatTensor(x, [1, c, h, w], type) }, output);
      const H = Number(dims[2]);
      const W = Number(dims[3]);
      if (dims.length !== 4 || Number(dims[1]) !== 3 || data.length !== 3 * H * W)
        throw new ModelError(
          'model-io',
          `${session.file}: output "${output}" has shape [${dims.join(', ')}], expected [1, 3, H, W]`,
        );
      const img = zeroOne ? data.map((v) => v * 2 - 1) : data.slice();
      return resizePlanes(img, 3, H, W, image.height, image.width);
    },
  };
}
