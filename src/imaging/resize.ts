// Resizing to a model's resolution with sharp: center-crop ('cover') or letterbox on white
// ('contain'); masks follow the same geometry.
import sharp from 'sharp';
import type { DecodedImage, MaskImage, RgbImage } from './types.ts';
import { assertRgb } from './types.ts';
import { maskFromAlpha } from './tensor.ts';

/** 'cover': scale to fill, then center-crop (default). 'contain': scale to fit, pad with white. */
export type FitMode = 'cover' | 'contain';

function checkTarget(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`bad target size ${width}x${height}`);
  }
}

/** Resize an RGB image to width x height with Lanczos-3, center-cropping ('cover') or letterboxing on white ('contain'). */
export async function resizeImage(
  img: RgbImage,
  width: number,
  height: number = width,
  fit: FitMode = 'cover',
): Promise<RgbImage> {
  assertRgb(img);
  checkTarget(width, height);
  if (img.width === width && img.height === height) return { width, height, rgb: img.rgb.slice() };
  const { data, info } = await sharp(img.rgb, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize({
      width,
      height,
      fit,
      position: 'centre',
      kernel: 'lanczos3',
      background: { r: 255, g: 255, b: 255, alpha: 1 },
    })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== width || info.height !== height) {
    throw new Error(
      `resize produced ${info.width}x${info.height}x${info.channels}, expected ${width}x${height}x3`,
    );
  }
  return { width, height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
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
  checkTarget(width, height);
  if (m.mask.length !== m.width * m.height)
    throw new RangeError(`mask: expected ${m.width * m.height} bytes, got ${m.mask.length}`);
  if (m.width === width && m.height === height) return { width, height, mask: m.mask.slice() };
  const grey = new Uint8Array(m.mask.length);
  for (let i = 0; i < grey.length; i++) grey[i] = m.mask[i] ? 255 : 0;
  const { data, info } = await sharp(grey, { raw: { width: m.width, height: m.height, channels: 1 } })
    .resize({
      width,
      height,
      fit,
      position: 'centre',
      kernel: 'linear',
      background: { r: 0, g: 0, b: 0, alpha: 1 },
    })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const c = info.channels;
  if (info.width !== width || info.height !== height) {
    throw new Error(`mask resize produced ${info.width}x${info.height}, expected ${width}x${height}`);
  }
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = data[i * c] >= 128 ? 1 : 0;
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
