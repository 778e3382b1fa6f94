// Runs in the bot's process (header checks) and the inference process and CLI (decoding, encoding).
// Canvases of the zoom-out and pan follow-ups: the picture placed on a canvas of the same size
// (shrunk to the centre for zoom out, shifted for pan) and the mask of the new border to
// inpaint (white = regenerate, black = keep). The kept pixels are copied exactly.
import { resizeImage } from './resize.ts';
import type { RgbImage } from './types.ts';
import { assertRgb } from './types.ts';

/** How to extend a picture: zoom out by a factor (> 1), or pan a quarter of it left, right, up or down. */
export type CanvasMove = { zoom: number } | { pan: 'left' | 'right' | 'up' | 'down' };

/** An extended picture: the canvas, the mask of what is new, and where the kept picture lies in it. */
export interface ExtendedCanvas {
  image: RgbImage;
  /** White (255) where new content goes, black (0) where the kept picture is. */
  mask: RgbImage;
  /** The kept picture's rectangle on the canvas. */
  kept: { x: number; y: number; width: number; height: number };
}

const NEW_FILL = 127;

/**
 * The picture moved on a canvas of its own size: zoom out f = the picture resized to 1/f
 * (Lanczos-3) in the centre; pan = the picture shifted by a quarter of its width or height, the
 * quarter that leaves the canvas dropped. The rest of the canvas is new (mask white).
 */
export async function extendCanvas(img: RgbImage, move: CanvasMove): Promise<ExtendedCanvas> {
  assertRgb(img);
  const { width: W, height: H } = img;
  let src = img;
  let x = 0;
  let y = 0;
  if ('zoom' in move) {
    if (!(move.zoom > 1)) throw new RangeError('zoom out needs a factor above 1');
    const w = Math.max(1, Math.round(W / move.zoom));
    const h = Math.max(1, Math.round(H / move.zoom));
    src = await resizeImage(img, w, h, 'cover');
    x = Math.floor((W - w) / 2);
    y = Math.floor((H - h) / 2);
  } else {
    const dx = Math.round(W / 4);
    const dy = Math.round(H / 4);
    // Panning left shows what is left of the picture: the picture moves right on the canvas.
    if (move.pan === 'left') x = dx;
    else if (move.pan === 'right') x = -dx;
    else if (move.pan === 'up') y = dy;
    else y = -dy;
  }
  const image = new Uint8Array(W * H * 3).fill(NEW_FILL);
  const mask = new Uint8Array(W * H * 3).fill(255);
  const x0 = Math.max(0, x);
  const x1 = Math.min(W, x + src.width);
  const y0 = Math.max(0, y);
  const y1 = Math.min(H, y + src.height);
  for (let cy = y0; cy < y1; cy++) {
    const from = ((cy - y) * src.width + (x0 - x)) * 3;
    const to = (cy * W + x0) * 3;
    image.set(src.rgb.subarray(from, from + (x1 - x0) * 3), to);
    mask.fill(0, to, to + (x1 - x0) * 3);
  }
  return {
    image: { width: W, height: H, rgb: image },
    mask: { width: W, height: H, rgb: mask },
    kept: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
  };
}
