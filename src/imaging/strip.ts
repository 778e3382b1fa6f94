// Runs in the bot's process (header checks) and the inference process and CLI (decoding, encoding).
// Side-by-side comparison strips (denoise --method all, noise --t 250,500,750). No text, no fonts.
import type { RgbImage } from './types.ts';
import { assertRgb } from './types.ts';

/** Layout of a comparison strip. */
export interface StripOptions {
  /** Pixels between neighbouring images (default 4). */
  gap?: number;
  /** Pixels around the whole strip (default 0). */
  margin?: number;
  /** Colour of gaps, margins and padding, [r, g, b] (default white). */
  background?: readonly [number, number, number];
}

/**
 * Place images left to right with `gap` px between them and `margin` px around; the strip is as
 * tall as the tallest image and shorter images are centred vertically on the background.
 */
export function makeStrip(images: readonly RgbImage[], opts: StripOptions = {}): RgbImage {
  if (images.length === 0) throw new RangeError('makeStrip: no images');
  const gap = Math.max(0, Math.floor(opts.gap ?? 4));
  const margin = Math.max(0, Math.floor(opts.margin ?? 0));
  const [br, bg, bb] = opts.background ?? [255, 255, 255];
  images.forEach((img, i) => assertRgb(img, `strip image ${i}`));

  const innerH = Math.max(...images.map((i) => i.height));
  const width = images.reduce((s, i) => s + i.width, 0) + gap * (images.length - 1) + 2 * margin;
  const height = innerH + 2 * margin;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    rgb[i * 3] = br;
    rgb[i * 3 + 1] = bg;
    rgb[i * 3 + 2] = bb;
  }
  let x0 = margin;
  for (const img of images) {
    const y0 = margin + Math.floor((innerH - img.height) / 2);
    for (let y = 0; y < img.height; y++) {
      rgb.set(img.rgb.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((y0 + y) * width + x0) * 3);
    }
    x0 += img.width + gap;
  }
  return { width, height, rgb };
}
