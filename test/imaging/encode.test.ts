import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import {
  encodeGif,
  encodePng,
  fitGifToBytes,
  pickFrames,
  upscaleForDisplay,
} from '../../src/imaging/index.ts';
import type { RgbImage } from '../../src/imaging/index.ts';
import { noiseImage, pixel, pngChunkTypes, solidImage } from './helpers.ts';

describe('encodePng', () => {
  it('gives identical bytes for identical pixels, losslessly, with no metadata chunks', async () => {
    const img = noiseImage(32, 24, 11);
    const a = await encodePng(img.rgb, img.width, img.height);
    const b = await encodePng(img.rgb.slice(), img.width, img.height);
    expect(a.equals(b)).toBe(true);
    const { data, info } = await sharp(a).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([32, 24, 3]);
    expect(data.equals(Buffer.from(img.rgb))).toBe(true);
    const types = pngChunkTypes(a);
    expect(types[0]).toBe('IHDR');
    expect(types.at(-1)).toBe('IEND');
    for (const t of ['tIME', 'tEXt', 'iTXt', 'zTXt', 'eXIf', 'iCCP']) expect(types).not.toContain(t);
    const other = noiseImage(32, 24, 12);
    expect((await encodePng(other.rgb, 32, 24)).equals(a)).toBe(false);
  });
});

describe('upscaleForDisplay', () => {
  it('scales by an integer factor with nearest neighbour', () => {
    const img = noiseImage(64, 32, 5);
    const up = upscaleForDisplay(img.rgb, 64, 32, 512);
    expect(up.factor).toBe(16);
    expect([up.width, up.height]).toEqual([1024, 512]);
    for (const [x, y] of [
      [0, 0],
      [15, 15],
      [16, 0],
      [1023, 511],
      [517, 300],
    ]) {
      expect(pixel(up, x, y)).toEqual(pixel(img, Math.floor(x / 16), Math.floor(y / 16)));
    }
    expect(upscaleForDisplay(noiseImage(64, 64, 1).rgb, 64, 64, 256).factor).toBe(4);
  });

  it('leaves large images alone and caps the output side at 2048', () => {
    expect(upscaleForDisplay(new Uint8Array(600 * 600 * 3), 600, 600, 512).factor).toBe(1);
    const thin = upscaleForDisplay(new Uint8Array(1000 * 10 * 3), 1000, 10, 512);
    expect(thin.factor).toBe(2);
    expect(thin.width).toBe(2000);
  });
});

function colourFrames(n: number, size = 16): RgbImage[] {
  return Array.from({ length: n }, (_, i) =>
    solidImage(size, size, [(i * 50) % 256, 255 - ((i * 50) % 256), 128]),
  );
}

describe('encodeGif', () => {
  it('encodes N frames with per-frame delays, the last one held, looping forever', async () => {
    const frames = colourFrames(5);
    const gif = await encodeGif(frames, { delayMs: 80, lastFrameHoldMs: 1500 });
    const meta = await sharp(gif).metadata();
    expect(meta.format).toBe('gif');
    expect(meta.pages).toBe(5);
    expect([meta.width, meta.height]).toEqual([16, 16]);
    expect(meta.delay).toEqual([80, 80, 80, 80, 1500]);
    expect(meta.loop).toBe(0);
    for (const f of [0, 2, 4]) {
      const { data } = await sharp(gif, { page: f, pages: 1 }).raw().toBuffer({ resolveWithObject: true });
      const want = pixel(frames[f], 3, 3);
      for (let c = 0; c < 3; c++)
        expect(Math.abs(data[(3 * 16 + 3) * 4 + c] - want[c])).toBeLessThanOrEqual(4);
    }
    const again = await encodeGif(frames, { delayMs: 80, lastFrameHoldMs: 1500 });
    expect(again.equals(gif)).toBe(true);
  });

  it('honours loop, identical frames, and maxWidth', async () => {
    const same = [solidImage(16, 8, [1, 2, 3]), solidImage(16, 8, [1, 2, 3]), solidImage(16, 8, [1, 2, 3])];
    const gif = await encodeGif(same, { loop: 3, delayMs: 100, lastFrameHoldMs: 2000, maxWidth: 8 });
    const meta = await sharp(gif).metadata();
    expect(meta.pages).toBe(3);
    expect(meta.loop).toBe(3);
    expect(meta.delay).toEqual([100, 100, 2000]);
    expect([meta.width, meta.height]).toEqual([8, 4]);
  });

  it('downscales upscaled pixel art exactly (nearest neighbour for an integer factor)', async () => {
    const small = noiseImage(8, 8, 9);
    const big = upscaleForDisplay(small.rgb, 8, 8, 32); // 4x
    const gif = await encodeGif([big, big], { maxWidth: 16, colours: 256 });
    const { data, info } = await sharp(gif, { pages: 1 }).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([16, 16]);
    // 64 distinct-ish colours fit a 256 palette, so every 2x2 block is one source pixel.
    for (const [x, y] of [
      [0, 0],
      [5, 9],
      [15, 15],
    ]) {
      const want = pixel(small, x >> 1, y >> 1);
      const got = [0, 1, 2].map((c) => data[(y * 16 + x) * 4 + c]);
      got.forEach((v, c) => expect(Math.abs(v - want[c])).toBeLessThanOrEqual(8));
    }
  });

  it('rejects frames of different sizes', async () => {
    await expect(encodeGif([solidImage(4, 4, [0, 0, 0]), solidImage(4, 5, [0, 0, 0])])).rejects.toThrow(
      /frame 1/,
    );
  });
});

describe('fitGifToBytes', () => {
  it('pickFrames keeps the first and last frame, evenly spaced', () => {
    expect(pickFrames(12, 4)).toEqual([0, 4, 7, 11]);
    expect(pickFrames(34, 2)).toEqual([0, 33]);
    expect(pickFrames(3, 10)).toEqual([0, 1, 2]);
  });

  it('returns the GIF unchanged when it already fits', async () => {
    const frames = colourFrames(4);
    const r = await fitGifToBytes(frames, { delayMs: 80 }, 1_000_000);
    expect(r.fits).toBe(true);
    expect(r.actions).toEqual([]);
    expect(r.frames).toBe(4);
    expect(r.buffer.equals(await encodeGif(frames, { delayMs: 80 }))).toBe(true);
  });

  it('shrinks noisy frames under a small byte limit and keeps at least 2 frames', async () => {
    const frames = Array.from({ length: 12 }, (_, i) => noiseImage(96, 96, 100 + i));
    const limit = 20_000;
    const full = await encodeGif(frames, { delayMs: 80 });
    expect(full.length).toBeGreaterThan(limit);
    const r = await fitGifToBytes(frames, { delayMs: 80 }, limit);
    expect(r.fits).toBe(true);
    expect(r.buffer.length).toBeLessThanOrEqual(limit);
    expect(r.frames).toBeGreaterThanOrEqual(2);
    expect(r.actions.length).toBeGreaterThan(0);
    const meta = await sharp(r.buffer).metadata();
    expect(meta.pages).toBe(r.frames);
    expect([meta.width, meta.height]).toEqual([r.width, r.height]);
    expect(meta.delay!.at(-1)).toBe(1500);
    expect(meta.delay![0]).toBe(r.delayMs);
  });

  it('reports fits = false with the smallest GIF when the limit is impossible', async () => {
    const frames = Array.from({ length: 6 }, (_, i) => noiseImage(64, 64, 200 + i));
    const r = await fitGifToBytes(frames, {}, 10);
    expect(r.fits).toBe(false);
    expect(r.frames).toBe(2);
    expect(r.colours).toBe(2);
    expect(r.width).toBe(32);
    expect((await sharp(r.buffer).metadata()).pages).toBe(2);
  });
});
