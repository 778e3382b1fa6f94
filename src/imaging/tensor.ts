// Runs in the bot's process (header checks) and the inference process and CLI (decoding, encoding).
// Conversions between 8-bit images and the model's float tensors (CHW, [-1, 1]), and masks.
import type { MaskImage, RgbImage } from './types.ts';
import { assertRgb } from './types.ts';

/** RGB uint8 HWC -> float32 CHW in [-1, 1] with v = x / 127.5 - 1. */
export function rgbToTensor(img: RgbImage): Float32Array {
  assertRgb(img);
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  const src = img.rgb;
  for (let i = 0; i < n; i++) {
    out[i] = src[i * 3] / 127.5 - 1;
    out[n + i] = src[i * 3 + 1] / 127.5 - 1;
    out[2 * n + i] = src[i * 3 + 2] / 127.5 - 1;
  }
  return out;
}

function toByte(v: number): number {
  const x = Math.round((v + 1) * 127.5);
  return x > 255 ? 255 : x >= 0 ? x : 0; // NaN -> 0
}

/** float32 CHW in [-1, 1] -> RGB uint8 HWC with x = clamp(round((v + 1) * 127.5), 0, 255); inverse of rgbToTensor on its image. */
export function tensorToRgb(t: Float32Array, width: number, height: number): RgbImage {
  const n = width * height;
  if (t.length !== 3 * n)
    throw new RangeError(`tensor: expected ${3 * n} values (3x${height}x${width}), got ${t.length}`);
  const rgb = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    rgb[i * 3] = toByte(t[i]);
    rgb[i * 3 + 1] = toByte(t[n + i]);
    rgb[i * 3 + 2] = toByte(t[2 * n + i]);
  }
  return { width, height, rgb };
}

/** Binary mask HW -> float32 CHW (0 or 1) repeated over `channels`, the m of the inpainting projection. */
export function maskToTensor(m: MaskImage, channels = 3): Float32Array {
  const n = m.width * m.height;
  if (m.mask.length !== n) throw new RangeError(`mask: expected ${n} bytes, got ${m.mask.length}`);
  const out = new Float32Array(channels * n);
  for (let i = 0; i < n; i++) out[i] = m.mask[i] ? 1 : 0;
  for (let c = 1; c < channels; c++) out.copyWithin(c * n, 0, n);
  return out;
}

/** Alpha channel HW (0..255) -> mask: transparent (alpha < 128) = 1 = regenerate. */
export function maskFromAlpha(alpha: Uint8Array, width: number, height: number): MaskImage {
  const n = width * height;
  if (alpha.length !== n) throw new RangeError(`alpha: expected ${n} bytes, got ${alpha.length}`);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = alpha[i] < 128 ? 1 : 0;
  return { width, height, mask };
}

/**
 * A mask image -> mask: white = 1 = regenerate, by Rec. 601 luma
 * Y = 0.299 R + 0.587 G + 0.114 B thresholded at Y >= 128. Transparent areas of a decoded mask
 * image were flattened onto white, so they count as regenerate too.
 */
export function maskFromImage(img: RgbImage): MaskImage {
  assertRgb(img, 'mask image');
  const n = img.width * img.height;
  const mask = new Uint8Array(n);
  const p = img.rgb;
  for (let i = 0; i < n; i++) {
    const y = 299 * p[i * 3] + 587 * p[i * 3 + 1] + 114 * p[i * 3 + 2];
    mask[i] = y >= 128_000 ? 1 : 0;
  }
  return { width: img.width, height: img.height, mask };
}

/** Fraction of mask pixels set to 1 (0 when the mask is empty). */
export function maskCoverage(m: MaskImage): number {
  let s = 0;
  for (let i = 0; i < m.mask.length; i++) s += m.mask[i] ? 1 : 0;
  return m.mask.length ? s / m.mask.length : 0;
}
