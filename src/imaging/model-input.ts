// Runs in the bot's process (header checks) and the inference process and CLI (decoding, encoding).
// One input loader for every front end: a decoded upload, file or earlier result brought to the
// model's image resolution (centre crop), as the tensors the executor takes. Used by the worker and the CLI.
import { fitToModel, resizeImage } from './resize.ts';
import { maskFromImage, rgbToTensor } from './tensor.ts';
import type { DecodedImage, RgbImage } from './types.ts';

/** An input image at the model's resolution: CHW in [-1, 1], and its transparency as a mask (1 = regenerate) when it had any. */
export interface ModelInputImage {
  image: Float32Array;
  alphaMask?: Float32Array;
}

/** The image cover-fitted (centre crop) to width x height as a CHW tensor in [-1, 1], with its alpha mask if transparent. */
export async function imageForModel(
  decoded: RgbImage & Pick<DecodedImage, 'alpha'>,
  width: number,
  height: number,
): Promise<ModelInputImage> {
  const fitted = await fitToModel(decoded, width, height, 'cover');
  const out: ModelInputImage = { image: rgbToTensor(fitted.image) };
  if (fitted.alphaMask) out.alphaMask = Float32Array.from(fitted.alphaMask.mask);
  return out;
}

/** A mask image cover-fitted to width x height: white (luma >= 128) = 1 = regenerate, else 0 (H*W). */
export async function maskForModel(decoded: RgbImage, width: number, height: number): Promise<Float32Array> {
  const img = await resizeImage(decoded, width, height, 'cover');
  return Float32Array.from(maskFromImage(img).mask);
}
