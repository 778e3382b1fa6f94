import { describe, expect, it } from 'vitest';
import { imageForModel, maskForModel, type DecodedImage } from '../../src/imaging/index.ts';

/** A w x h image whose left half is black and right half white. */
function halves(w: number, h: number, alpha?: Uint8Array): DecodedImage {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = w / 2; x < w; x++) rgb.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
  return { width: w, height: h, rgb, format: 'png', frames: 1, ...(alpha ? { alpha } : {}) };
}

describe('model input loader', () => {
  it('gives CHW in [-1, 1] at the model size, and no alpha mask for an opaque image', async () => {
    const { image, alphaMask } = await imageForModel(halves(16, 16), 8, 8);
    expect(image.length).toBe(3 * 8 * 8);
    expect(image[0]).toBe(-1);
    expect(image[7]).toBe(1);
    expect(alphaMask).toBeUndefined();
  });

  it('turns transparency into a mask of ones where the image was transparent', async () => {
    const alpha = new Uint8Array(16 * 16).fill(255);
    for (let y = 0; y < 16; y++) alpha.fill(0, y * 16, y * 16 + 8);
    const { alphaMask } = await imageForModel(halves(16, 16, alpha), 8, 8);
    expect(alphaMask).toBeDefined();
    expect(alphaMask![0]).toBe(1);
    expect(alphaMask![7]).toBe(0);
  });

  it('reads a mask image as white = 1 (regenerate), black = 0', async () => {
    const mask = await maskForModel(halves(16, 16), 8, 8);
    expect(mask.length).toBe(64);
    expect([mask[0], mask[3], mask[4], mask[7]]).toEqual([0, 0, 1, 1]);
  });
});
