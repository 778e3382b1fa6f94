// Runs in the bot's process (header checks) and the inference process and CLI (decoding, encoding).
// Candidate grids: several same-sized images in rows and columns with no gaps, so each cell can be
// cut back out pixel for pixel (U n, V n of a grid). No text, no fonts.
import type { RgbImage } from './types.ts';
import { assertRgb } from './types.ts';

/** Columns x rows of a grid of `count` images: 1x1, 2x1 (side by side), 3x1, 2x2. */
export function gridLayout(count: number): { cols: number; rows: number } {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`grid of ${count} images`);
  const cols = count <= 3 ? count : Math.ceil(Math.sqrt(count));
  return { cols, rows: Math.ceil(count / cols) };
}

/** The images (all the same size) left to right, top to bottom; empty cells are white. */
export function makeGrid(images: readonly RgbImage[]): RgbImage {
  if (images.length === 0) throw new RangeError('makeGrid: no images');
  images.forEach((img, i) => assertRgb(img, `grid image ${i}`));
  const { width: w, height: h } = images[0];
  if (images.some((i) => i.width !== w || i.height !== h)) throw new RangeError('makeGrid: images differ in size');
  const { cols, rows } = gridLayout(images.length);
  const width = cols * w;
  const height = rows * h;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  images.forEach((img, k) => {
    const x0 = (k % cols) * w;
    const y0 = Math.floor(k / cols) * h;
    for (let y = 0; y < h; y++) rgb.set(img.rgb.subarray(y * w * 3, (y + 1) * w * 3), ((y0 + y) * width + x0) * 3);
  });
  return { width, height, rgb };
}

/** Cell `index` (0-based) of a grid of `count` images made by makeGrid, cut out exactly. */
export function gridCell(grid: RgbImage, count: number, index: number): RgbImage {
  const { cols, rows } = gridLayout(count);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`no image ${index + 1} in a grid of ${count}`);
  if (grid.width % cols !== 0 || grid.height % rows !== 0) throw new RangeError('image is not a grid of that many cells');
  const w = grid.width / cols;
  const h = grid.height / rows;
  const x0 = (index % cols) * w;
  const y0 = Math.floor(index / cols) * h;
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    const from = ((y0 + y) * grid.width + x0) * 3;
    rgb.set(grid.rgb.subarray(from, from + w * 3), y * w * 3);
  }
  return { width: w, height: h, rgb };
}
