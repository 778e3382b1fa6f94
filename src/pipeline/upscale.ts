// Runs in the inference process and the CLI.
// The upscale of small pixel models (U n on a 64x64 model): the picture resized 2x (Lanczos-3),
// then a low-noise SDEdit pass over windows of the model's size (tiledSdedit) adds the detail a
// resize cannot. Models with images of UPSCALE_BELOW px or more are not resized: their U pass
// runs at their own size.
import type { Shape } from '../diffusion/index.ts';
import { resizeImage, rgbToTensor, tensorToRgb } from '../imaging/index.ts';

/** Images smaller than this (on their longer side) are upscaled 2x by an upscaling sketch. */
export const UPSCALE_BELOW = 256;

/** The input of an upscaling pass: the image (CHW in [-1, 1] at `img`) resized 2x, or null when the model's images are large enough. */
export async function upscaleInput(image: Float32Array, img: Shape): Promise<{ image: Float32Array; shape: Shape } | null> {
  if (Math.max(img.width, img.height) >= UPSCALE_BELOW) return null;
  const shape = { channels: img.channels, height: img.height * 2, width: img.width * 2 };
  const big = await resizeImage(tensorToRgb(image, img.width, img.height), shape.width, shape.height);
  return { image: rgbToTensor(big), shape };
}
