import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decodeImage, fitToModel, resizeImage, resizeMask } from '../../src/imaging/index.ts';
import type { MaskImage, RgbImage } from '../../src/imaging/index.ts';
import { pixel, solidImage } from './helpers.ts';

/** 100x50: x < 25 red, 25 <= x < 75 green, x >= 75 blue. */
function bands(): RgbImage {
  const img = solidImage(100, 50, [0, 255, 0]);
  for (let y = 0; y < 50; y++) {
    for (let x = 0; x < 25; x++) img.rgb.set([255, 0, 0], (y * 100 + x) * 3);
    for (let x = 75; x < 100; x++) img.rgb.set([0, 0, 255], (y * 100 + x) * 3);
  }
  return img;
}

const near = (a: number[], b: number[], tol = 6): boolean => a.every((v, i) => Math.abs(v - b[i]) <= tol);

describe('resizeImage', () => {
  it("'cover' center-crops to the target size", async () => {
    const out = await resizeImage(bands(), 64, 64, 'cover');
    expect([out.width, out.height, out.rgb.length]).toEqual([64, 64, 64 * 64 * 3]);
    // The crop is the middle 50x50, which is all green; allow Lanczos ringing at the very edge.
    for (let y = 0; y < 64; y++)
      for (let x = 2; x < 62; x++) expect(near(pixel(out, x, y), [0, 255, 0])).toBe(true);
  });

  it("'contain' letterboxes on white", async () => {
    const red = solidImage(100, 50, [255, 0, 0]);
    const out = await resizeImage(red, 64, 64, 'contain');
    expect([out.width, out.height]).toEqual([64, 64]);
    // 100x50 -> 64x32 centred: white rows 0..15 and 48..63.
    for (const y of [0, 15, 48, 63]) expect(pixel(out, 32, y)).toEqual([255, 255, 255]);
    for (const y of [17, 32, 46]) expect(near(pixel(out, 32, y), [255, 0, 0])).toBe(true);
  });

  it('defaults to a square cover and handles non-square targets', async () => {
    const out = await resizeImage(bands(), 32);
    expect([out.width, out.height]).toEqual([32, 32]);
    const wide = await resizeImage(bands(), 40, 10, 'cover');
    expect([wide.width, wide.height]).toEqual([40, 10]);
    // 100x50 -> 40x20 then crop rows: all three bands survive left to right.
    expect(near(pixel(wide, 2, 5), [255, 0, 0], 20)).toBe(true);
    expect(near(pixel(wide, 20, 5), [0, 255, 0], 20)).toBe(true);
    expect(near(pixel(wide, 37, 5), [0, 0, 255], 20)).toBe(true);
  });
});

describe('resizeMask', () => {
  const leftHalf: MaskImage = (() => {
    const mask = new Uint8Array(100 * 50);
    for (let y = 0; y < 50; y++) for (let x = 0; x < 50; x++) mask[y * 100 + x] = 1;
    return { width: 100, height: 50, mask };
  })();

  it('follows the cover crop and stays binary', async () => {
    const m = await resizeMask(leftHalf, 64, 64, 'cover');
    expect([m.width, m.height, m.mask.length]).toEqual([64, 64, 4096]);
    expect(m.mask.every((v) => v === 0 || v === 1)).toBe(true);
    // Crop x in 25..75, so the boundary x = 50 lands in the middle: columns < 32 set, > 32 clear
    // (column 32 straddles the edge at coverage about 0.5).
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) if (x !== 32) expect(m.mask[y * 64 + x]).toBe(x < 32 ? 1 : 0);
    }
  });

  it("pads with keep (0) under 'contain'", async () => {
    const m = await resizeMask(leftHalf, 64, 64, 'contain');
    let set = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const v = m.mask[y * 64 + x];
        set += v;
        if (y < 16 || y >= 48 || x >= 32) expect(v).toBe(0);
        else expect(v).toBe(1);
      }
    }
    expect(set).toBe(32 * 32);
  });

  it('thresholds a thin line away when shrinking 8x (area < 0.5)', async () => {
    const mask = new Uint8Array(64 * 64);
    for (let x = 0; x < 64; x++) mask[10 * 64 + x] = 1; // one row of 64
    const m = await resizeMask({ width: 64, height: 64, mask }, 8, 8);
    expect(m.mask.every((v) => v === 0)).toBe(true);
  });
});

describe('fitToModel', () => {
  it('resizes an upload and its transparency mask with one geometry', async () => {
    // 100x50 RGBA: left half transparent, right half opaque red.
    const rgba = Buffer.alloc(100 * 50 * 4);
    for (let y = 0; y < 50; y++) for (let x = 50; x < 100; x++) rgba.set([255, 0, 0, 255], (y * 100 + x) * 4);
    const png = await sharp(rgba, { raw: { width: 100, height: 50, channels: 4 } })
      .png()
      .toBuffer();
    const { image, alphaMask } = await fitToModel(await decodeImage(png), 64);
    expect([image.width, image.height]).toEqual([64, 64]);
    expect(alphaMask).toBeDefined();
    for (let y = 0; y < 64; y += 7) {
      expect(alphaMask!.mask[y * 64 + 5]).toBe(1);
      expect(alphaMask!.mask[y * 64 + 58]).toBe(0);
      expect(pixel(image, 5, y)).toEqual([255, 255, 255]);
      expect(near(pixel(image, 58, y), [255, 0, 0])).toBe(true);
    }
    const opaque = await fitToModel(await decodeImage(await sharp(png).flatten().png().toBuffer()), 16);
    expect(opaque.alphaMask).toBeUndefined();
  });
});
