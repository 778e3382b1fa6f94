import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decodeImage, ImageInputError, isImageInputError, maskFromAlpha } from '../../src/imaging/index.ts';
import type { ImageInputErrorCode } from '../../src/imaging/index.ts';
import { craftedPngHeader, noiseImage, pixel, randomBytes } from './helpers.ts';

async function rejection(p: Promise<unknown>): Promise<ImageInputError> {
  try {
    await p;
  } catch (e) {
    expect(isImageInputError(e)).toBe(true);
    return e as ImageInputError;
  }
  throw new Error('expected an ImageInputError, got a result');
}

async function expectCode(p: Promise<unknown>, code: ImageInputErrorCode): Promise<ImageInputError> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(ImageInputError);
  expect(e.code).toBe(code);
  expect(e.message.length).toBeGreaterThan(10);
  return e;
}

async function noisePng(width: number, height: number, seed: number): Promise<Buffer> {
  const img = noiseImage(width, height, seed);
  return sharp(img.rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

describe('decodeImage', () => {
  it('flattens alpha onto white and keeps alpha as a mask', async () => {
    // 4x1 RGBA: opaque red, transparent blue, half-transparent blue (alpha 128), alpha 127 green.
    const rgba = Buffer.from([255, 0, 0, 255, 0, 0, 255, 0, 0, 0, 255, 128, 0, 255, 0, 127]);
    const png = await sharp(rgba, { raw: { width: 4, height: 1, channels: 4 } })
      .png()
      .toBuffer();
    const d = await decodeImage(png);
    expect(d.format).toBe('png');
    expect([d.width, d.height, d.frames]).toEqual([4, 1, 1]);
    expect(d.rgb.length).toBe(12);
    expect(pixel(d, 0, 0)).toEqual([255, 0, 0]);
    expect(pixel(d, 1, 0)).toEqual([255, 255, 255]); // fully transparent -> white
    // (c a + 255 (255 - a)) / 255 with a = 128: R = G = 127, B = 255
    expect(pixel(d, 2, 0)).toEqual([127, 127, 255]);
    expect(pixel(d, 3, 0)).toEqual([128, 255, 128]);
    expect(Array.from(d.alpha!)).toEqual([255, 0, 128, 127]);
    expect(Array.from(maskFromAlpha(d.alpha!, d.width, d.height).mask)).toEqual([0, 1, 0, 1]);
  });

  it('returns no alpha for an opaque image, even with an alpha channel', async () => {
    const png = await sharp({
      create: { width: 3, height: 2, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 1 } },
    })
      .png()
      .toBuffer();
    const d = await decodeImage(png);
    expect(d.alpha).toBeUndefined();
    expect(pixel(d, 2, 1)).toEqual([10, 20, 30]);
  });

  it('rejects a truncated PNG and a truncated JPEG as truncated', async () => {
    const png = await noisePng(64, 64, 1);
    await expectCode(decodeImage(png.subarray(0, Math.floor(png.length / 2))), 'truncated');
    await expectCode(decodeImage(png.subarray(0, 40)), 'truncated');
    const jpg = await sharp(png).jpeg().toBuffer();
    const e = await expectCode(decodeImage(jpg.subarray(0, Math.floor(jpg.length / 2))), 'truncated');
    expect(e.message).toMatch(/cut off or damaged/);
  });

  it('rejects random bytes, text and an empty buffer as not an image', async () => {
    const e = await expectCode(decodeImage(randomBytes(4096, 7)), 'not_an_image');
    expect(e.message).toBe('That file is not an image I can read (PNG, JPEG, WebP, GIF, AVIF, TIFF).');
    await expectCode(decodeImage(Buffer.from('hello, this is a text file\n'.repeat(20))), 'not_an_image');
    await expectCode(decodeImage(Buffer.alloc(0)), 'not_an_image');
    // Right magic number, garbage after it.
    await expectCode(decodeImage(Buffer.concat([Buffer.from('GIF89a'), randomBytes(200, 3)])), 'truncated');
  });

  it('rejects a decompression bomb from its header without decoding it', async () => {
    const bomb = craftedPngHeader(30000, 30000);
    expect(bomb.length).toBeLessThan(200);
    const before = process.memoryUsage().rss;
    const e = await expectCode(decodeImage(bomb), 'too_many_pixels');
    expect(e.message).toBe('The image is 30000x30000 pixels; the limit is 25 megapixels.');
    expect(e.detail).toMatchObject({ width: 30000, height: 30000, maxPixels: 25_000_000 });
    // A decode would need 30000 * 30000 * 3 bytes = 2.7 GB.
    expect(process.memoryUsage().rss - before).toBeLessThan(500 * 1024 * 1024);
  });

  it('applies a custom pixel limit', async () => {
    const png = await noisePng(100, 100, 2);
    const e = await expectCode(decodeImage(png, { maxPixels: 5000 }), 'too_many_pixels');
    expect(e.message).toBe('The image is 100x100 pixels; the limit is 5000 pixels.');
    expect((await decodeImage(png, { maxPixels: 10_000 })).width).toBe(100);
  });

  it('rejects a file over maxBytes before looking at it', async () => {
    const png = await noisePng(64, 64, 3); // incompressible: about 12 KB
    expect(png.length).toBeGreaterThan(10_000);
    const e = await expectCode(decodeImage(png, { maxBytes: (1024 * 1024) / 128 }), 'too_large_bytes');
    expect(e.detail).toMatchObject({ bytes: png.length, maxBytes: 8192 });
    await expectCode(decodeImage(Buffer.alloc(11 * 1024 * 1024)), 'too_large_bytes');
    const big = await rejection(decodeImage(Buffer.alloc(12 * 1024 * 1024)));
    expect(big.message).toBe('That file is 12 MB; the limit is 10 MB.');
    // Just over the limit: the figures get decimals rather than reading "10 MB; the limit is 10 MB".
    const near = await rejection(decodeImage(Buffer.alloc(10 * 1024 * 1024 + 300_000)));
    expect(near.message).toBe('That file is 10.3 MB; the limit is 10.0 MB.');
  });

  it('rejects too many channels as unsupported', async () => {
    const png = await sharp({ create: { width: 2, height: 2, channels: 4, background: '#ff000080' } })
      .png()
      .toBuffer();
    const e = await expectCode(decodeImage(png, { maxChannels: 3 }), 'unsupported');
    expect(e.message).toBe('The image has 4 channels; the limit is 3.');
  });

  it('refuses SVG', async () => {
    const svg = Buffer.from(
      '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
    );
    const e = await expectCode(decodeImage(svg), 'unsupported');
    expect(e.message).toMatch(/SVG/);
  });

  it('takes the first frame of an animated GIF', async () => {
    const W = 8;
    const H = 6;
    const colours = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
    ];
    const strip = Buffer.alloc(W * H * 3 * colours.length);
    colours.forEach((c, f) => {
      for (let i = 0; i < W * H; i++) strip.set(c, (f * W * H + i) * 3);
    });
    const gif = await sharp(strip, { raw: { width: W, height: H * 3, channels: 3, pageHeight: H } })
      .gif({ delay: 100, keepDuplicateFrames: true })
      .toBuffer();
    const d = await decodeImage(gif);
    expect(d.format).toBe('gif');
    expect([d.width, d.height, d.frames]).toEqual([W, H, 3]);
    expect(d.rgb.length).toBe(W * H * 3);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) expect(pixel(d, x, y)).toEqual([255, 0, 0]);
    expect(d.alpha).toBeUndefined();
  });

  it('auto-orients by EXIF', async () => {
    // 4x2: left half red, right half blue; orientation 6 = rotate 90 degrees clockwise to display.
    const raw = Buffer.alloc(4 * 2 * 3);
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 4; x++) raw.set(x < 2 ? [255, 0, 0] : [0, 0, 255], (y * 4 + x) * 3);
    const jpg = await sharp(raw, { raw: { width: 4, height: 2, channels: 3 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const d = await decodeImage(jpg);
    expect([d.width, d.height]).toEqual([2, 4]);
    // After a clockwise turn the left (red) half is on top.
    expect(pixel(d, 0, 0)[0]).toBeGreaterThan(200);
    expect(pixel(d, 0, 3)[2]).toBeGreaterThan(200);
  });

  it('decodes greyscale, JPEG, WebP, AVIF and TIFF to RGB', async () => {
    const grey = await sharp({ create: { width: 3, height: 3, channels: 3, background: '#808080' } })
      .greyscale()
      .png()
      .toBuffer();
    expect(pixel(await decodeImage(grey), 1, 1)).toEqual([128, 128, 128]);
    const base = sharp({ create: { width: 16, height: 16, channels: 3, background: '#3080c0' } });
    const cases = [
      ['jpeg', await base.clone().jpeg({ quality: 95 }).toBuffer()],
      ['webp', await base.clone().webp({ lossless: true }).toBuffer()],
      ['avif', await base.clone().avif({ quality: 90 }).toBuffer()],
      ['tiff', await base.clone().tiff().toBuffer()],
    ] as const;
    for (const [format, buf] of cases) {
      const d = await decodeImage(buf);
      expect(d.format).toBe(format);
      expect([d.width, d.height]).toEqual([16, 16]);
      const [r, g, b] = pixel(d, 8, 8);
      expect(Math.abs(r - 0x30) + Math.abs(g - 0x80) + Math.abs(b - 0xc0)).toBeLessThan(12);
    }
  });
});
