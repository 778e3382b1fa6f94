// checkUpload: what the bot's process checks of an upload (header, and libvips' stats of an alpha
// channel), with the same refusals as decodeImage, and no pixels decoded into JavaScript.
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { checkUpload, decodeImage, isImageInputError, type ImageInputError } from '../../src/imaging/index.ts';
import { craftedPngHeader, noiseImage, randomBytes } from './helpers.ts';

async function refusal(p: Promise<unknown>): Promise<ImageInputError> {
  try {
    await p;
  } catch (e) {
    if (isImageInputError(e)) return e;
    throw e;
  }
  throw new Error('expected an ImageInputError, got a result');
}

const solid = (channels: 3 | 4, alpha = 1) =>
  sharp({ create: { width: 20, height: 10, channels, background: { r: 10, g: 200, b: 30, alpha } } })
    .png()
    .toBuffer();

describe('checkUpload', () => {
  it('reports size, format and whether some pixel is translucent', async () => {
    expect(await checkUpload(await solid(3))).toEqual({ width: 20, height: 10, format: 'png', frames: 1, hasAlpha: false });
    // An alpha channel whose pixels are all opaque is no transparency (as decodeImage returns no alpha).
    expect((await checkUpload(await solid(4, 1))).hasAlpha).toBe(false);
    expect((await checkUpload(await solid(4, 0.5))).hasAlpha).toBe(true);
    const jpeg = await sharp(await solid(3)).jpeg().toBuffer();
    expect(await checkUpload(jpeg)).toMatchObject({ format: 'jpeg', width: 20, height: 10, hasAlpha: false });
  });

  it('agrees with decodeImage on transparency', async () => {
    for (const png of [await solid(3), await solid(4, 1), await solid(4, 0.2)]) {
      const d = await decodeImage(png);
      expect((await checkUpload(png)).hasAlpha).toBe(d.alpha !== undefined);
    }
  });

  it('refuses with the same codes and messages as decodeImage', async () => {
    const png = await solid(4, 0.5);
    const cases: [Uint8Array, Parameters<typeof checkUpload>[1]][] = [
      [randomBytes(4096, 7), {}],
      [Buffer.alloc(0), {}],
      [craftedPngHeader(30000, 30000), {}],
      [png, { maxPixels: 100 }],
      [png, { maxBytes: 10 }],
      [png, { maxChannels: 3 }],
      [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>'), {}],
    ];
    for (const [bytes, limits] of cases) {
      const got = await refusal(checkUpload(bytes, limits));
      const want = await refusal(decodeImage(bytes, limits));
      expect([got.code, got.message]).toEqual([want.code, want.message]);
    }
    expect((await refusal(checkUpload(craftedPngHeader(30000, 30000)))).message).toBe(
      'The image is 30000x30000 pixels; the limit is 25 megapixels.',
    );
  });

  it('reads only the header of an opaque image: a cut-off one passes here and is refused where it is decoded', async () => {
    const img = noiseImage(64, 64, 1);
    const png = await sharp(img.rgb, { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
    const cut = png.subarray(0, Math.floor(png.length / 2));
    expect(await checkUpload(cut)).toMatchObject({ width: 64, height: 64, hasAlpha: false });
    expect((await refusal(decodeImage(cut))).code).toBe('truncated');
  });

  it('refuses a cut-off image with an alpha channel, whose stats it reads', async () => {
    const rgba = Buffer.from(randomBytes(64 * 64 * 4, 2));
    const png = await sharp(rgba, { raw: { width: 64, height: 64, channels: 4 } }).png().toBuffer();
    expect((await checkUpload(png)).hasAlpha).toBe(true);
    const e = await refusal(checkUpload(png.subarray(0, Math.floor(png.length / 2))));
    expect(e.code).toBe('truncated');
    expect(e.message).toMatch(/cut off or damaged/);
  });
});
