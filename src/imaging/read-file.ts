// Runs in the bot's process (header checks) and the inference process and CLI (decoding, encoding).
// Reads an image file that ships with a model (not a user upload: no size limits or format
// checks beyond sharp's own), e.g. the tile atlas of a coarse data prior.
import sharp from 'sharp';
import type { RgbImage } from './types.ts';

/** Decode a model's own image file to 8-bit sRGB, alpha dropped (HWC, 3 bytes per pixel). */
export async function readRgbFile(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 colour channels, found ${info.channels}`);
  return { width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}
