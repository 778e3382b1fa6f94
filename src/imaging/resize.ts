// Runs in the bot's process (header checks) and the inference process and CLI (decoding, encoding).
// Resizing to a model's resolution with sharp: center-crop ('cover') or letterbox on white
// ('contain'); masks follow the same geometry.
import sharp from 'sharp';
import type { DecodedImage, MaskImage, RgbImage } from './types.ts';
import { assertRgb } from './types.ts';
import { maskFromAlpha } from './tensor.ts';

/** 'cover': scale to fill, then center-crop (default). 'contain': scale to fit, pad with white. */
export type FitMode = 'cover' | 'contain';

/** Resizes raw pixels (1 or 3 channels) to width x height with the shared geometry: centred, padded with `pad`; the pixels and their channel count. */
async function resizeRaw(
  pixels: Uint8Array,
  from: { width: number; height: number; channels: 1 | 3 },
  width: number,
  height: number,
  fit: FitMode,
  kernel: 'lanczos3' | 'linear',
  pad: number,
): Promise<{ data: Uint8Array; channels: number }> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`bad target size ${width}x${height}`);
  }
  const { data, info } = await sharp(pixels, { raw: from })
    .resize({
      width,
      height,
      fit,
      position: 'centre',
      kernel,
      background: { r: pad, g: pad, b: pad, alpha: 1 },
    })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  // A grey input may come back as RGB (sharp works in sRGB); only an RGB image must keep 3 channels.
  if ((from.channels === 3 && info.channels !== 3) || info.width !== width || info.height !== height) {
    throw new Error(
      `resize produced ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x${from.channels}`,
    );
  }
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), channels: info.channels };
}

/** Resize an RGB image to width x height with Lanczos-3, center-cropping ('cover') or letterboxing on white ('contain'). */
export async function resizeImage(
  img: RgbImage,
  width: number,
  height: number = width,
  fit: FitMode = 'cover',
): Promise<RgbImage> {
  assertRgb(img);
  if (img.width === width && img.height === height) return { width, height, rgb: img.rgb.slice() };
  const { data } = await resizeRaw(
    img.rgb,
    { width: img.width, height: img.height, channels: 3 },
    width,
    height,
    fit,
    'lanczos3',
    255,
  );
  return { width, height, rgb: data };
}

/**
 * Resize a binary mask with the same geometry as `resizeImage`: the mask is scaled as 0/255
 * coverage with a box shrink plus bilinear reduce (an area average when shrinking), then
 * thresholded at 0.5 (value >= 128 -> 1). Letterbox padding ('contain') is 0 (keep).
 */
export async function resizeMask(
  m: MaskImage,
  width: number,
  height: number = width,
  fit: FitMode = 'cover',
): Promise<MaskImage> {
  if (m.mask.length !== m.width * m.height)
    throw new RangeError(`mask: expected ${m.width * m.height} bytes, got ${m.mask.length}`);
  if (m.width === width && m.height === height) return { width, height, mask: m.mask.slice() };
  const grey = m.mask.map((v) => (v ? 255 : 0));
  const { data, channels } = await resizeRaw(
    grey,
    { width: m.width, height: m.height, channels: 1 },
    width,
    height,
    fit,
    'linear',
    0,
  );
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = data[i * channels] >= 128 ? 1 : 0;
  return { width, height, mask };
}

/** A decoded image brought to the model's resolution, with its transparency mask if it had one. */
export interface FittedImage {
  image: RgbImage;
  /** From the alpha channel (transparent = 1 = regenerate), resized with the same geometry. */
  alphaMask?: MaskImage;
}

/** Resize an image, and its alpha-derived mask (alpha < 128 -> 1) when it has alpha, to width x height with one geometry. */
export async function fitToModel(
  img: RgbImage & Pick<DecodedImage, 'alpha'>,
  width: number,
  height: number = width,
  fit: FitMode = 'cover',
): Promise<FittedImage> {
  const image = await resizeImage(img, width, height, fit);
  if (!img.alpha) return { image };
  const alphaMask = await resizeMask(maskFromAlpha(img.alpha, img.width, img.height), width, height, fit);
  return { image, alphaMask };
}
