// Runs in the bot's process (header checks) and the inference process and CLI (decoding, encoding).
// Safe decoding of user uploads with sharp: byte, pixel and channel limits checked from the
// header before any pixel is allocated, first frame only, EXIF auto-orientation, alpha
// flattened onto white and kept as an optional mask.
//
// Formats: PNG, JPEG, WebP, GIF, AVIF, TIFF, recognised by magic number before sharp sees the
// bytes. SVG is refused (code 'unsupported'): rendering vector input means parsing XML with
// librsvg and choosing a render size, which buys nothing for a model that reads small raster
// images; users are asked to export a PNG. HEIC (HEVC in HEIF) is refused the same way.
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import { ACCEPTED_FORMATS_TEXT, ImageInputError } from './errors.ts';
import { sniffFormat } from './sniff.ts';
import type { DecodedImage, ImageFormat } from './types.ts';

/** Limits applied to untrusted input. */
export interface DecodeLimits {
  /** Largest accepted file size in bytes (default 10 MiB). */
  maxBytes?: number;
  /** Largest accepted width x height of one frame (default 25 megapixels). */
  maxPixels?: number;
  /** Most channels (bands) accepted, alpha included (default 5: CMYK + alpha). */
  maxChannels?: number;
}

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_PIXELS = 25_000_000;
export const DEFAULT_MAX_CHANNELS = 5;

/** Messages from libvips/sharp that mean the data ends early or is damaged. */
const TRUNCATED_RE =
  /premature end|unexpected end|truncat|read error|corrupt|end of file|out of data|bad seek|short read|not enough data/i;

function formatMB(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb >= 10 ? mb.toFixed(0) : mb.toFixed(1).replace(/\.0$/, '');
}

/** "That file is X MB; the limit is Y MB", with enough decimals that X and Y never read the same. */
function sizeMessage(size: number, limit: number): string {
  let a = formatMB(size);
  let b = formatMB(limit);
  for (let digits = 1; a === b && digits <= 6; digits++) {
    a = (size / (1024 * 1024)).toFixed(digits);
    b = (limit / (1024 * 1024)).toFixed(digits);
  }
  return `That file is ${a} MB; the limit is ${b} MB.`;
}

function formatPixelLimit(pixels: number): string {
  if (pixels < 1_000_000) return `${pixels} pixels`;
  const mp = pixels / 1_000_000;
  return `${Number.isInteger(mp) ? String(mp) : mp.toFixed(1)} megapixels`;
}

function notAnImage(cause?: unknown): ImageInputError {
  return new ImageInputError(
    'not_an_image',
    `That file is not an image I can read (${ACCEPTED_FORMATS_TEXT}).`,
    {},
    { cause },
  );
}

/** Turn a sharp/libvips failure into a user-facing error. */
function fromSharpError(e: unknown, format: string): ImageInputError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/exceeds pixel limit/i.test(msg)) {
    return new ImageInputError('too_many_pixels', 'The image has too many pixels.', {}, { cause: e });
  }
  if (/unsupported image format/i.test(msg)) return notAnImage(e);
  if (TRUNCATED_RE.test(msg)) {
    return new ImageInputError(
      'truncated',
      'That image looks cut off or damaged; try uploading it again.',
      { format },
      { cause: e },
    );
  }
  return new ImageInputError(
    'unsupported',
    `I could not decode that ${format.toUpperCase()} image; try saving it as PNG or JPEG.`,
    { format },
    { cause: e },
  );
}

/** What the header says about an upload that passed the byte, format, pixel and channel limits. */
export interface ImageHeader {
  format: ImageFormat;
  /** Width and height after EXIF auto-orientation, of the first frame. */
  width: number;
  height: number;
  channels: number;
  /** Number of frames (animated GIF/WebP); at least 1. */
  frames: number;
  /** Whether the image has an alpha channel (or PNG/GIF transparency); its pixels may still all be opaque. */
  hasAlpha: boolean;
}

/**
 * Check an untrusted upload from its header only (cheap, no pixel is decoded): byte size, format
 * by magic number, declared pixel count and channel count. Throws the same ImageInputError as
 * decodeImage would for these limits.
 */
export async function readImageHeader(input: Uint8Array, limits: DecodeLimits = {}): Promise<ImageHeader> {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxChannels = limits.maxChannels ?? DEFAULT_MAX_CHANNELS;
  if (input.length > maxBytes) {
    throw new ImageInputError('too_large_bytes', sizeMessage(input.length, maxBytes), {
      bytes: input.length,
      maxBytes,
    });
  }
  if (input.length === 0) throw notAnImage();

  const sniffed = sniffFormat(input);
  if (sniffed === 'svg') {
    throw new ImageInputError(
      'unsupported',
      'SVG images are not supported; export it as PNG and send that.',
      { format: 'svg' },
    );
  }
  if (sniffed === 'unknown') throw notAnImage();

  // Header only: metadata() parses the container without decoding pixel data.
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch (e) {
    throw fromSharpError(e, sniffed);
  }

  let format: ImageFormat;
  if (sniffed === 'isobmff') {
    if (meta.format === 'heif' && meta.compression === 'av1') format = 'avif';
    else {
      throw new ImageInputError(
        'unsupported',
        'HEIC/HEIF images are not supported; send it as JPEG or PNG.',
        {
          format: String(meta.compression ?? meta.format),
        },
      );
    }
  } else {
    format = sniffed;
    if (meta.format !== sniffed) throw notAnImage();
  }

  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.pageHeight ?? meta.height;
  if (!width || !height) throw notAnImage();
  if (width * height > maxPixels) {
    throw new ImageInputError(
      'too_many_pixels',
      `The image is ${width}x${height} pixels; the limit is ${formatPixelLimit(maxPixels)}.`,
      { width, height, maxPixels },
    );
  }
  const channels = meta.channels ?? 0;
  if (channels > maxChannels) {
    throw new ImageInputError(
      'unsupported',
      `The image has ${channels} channels; the limit is ${maxChannels}.`,
      {
        channels,
        maxChannels,
      },
    );
  }

  return { format, width, height, channels, frames: Math.max(1, meta.pages ?? 1), hasAlpha: meta.hasAlpha === true };
}

/** What checkUpload tells about an accepted upload: everything but the pixels. */
export interface ImageSummary {
  width: number;
  height: number;
  format: ImageFormat;
  frames: number;
  /** Whether some pixel is not fully opaque (decodeImage would return `alpha`). */
  hasAlpha: boolean;
}

/** The alpha stats running or waiting in this process: one at a time, so libvips' threads leave the event loop a core. */
let alphaStats: Promise<unknown> = Promise.resolve();

/**
 * Check an untrusted upload where it arrives, without decoding it into JavaScript: the header
 * (readImageHeader: bytes, format, pixels, channels), and, only when the header declares an
 * alpha channel, libvips' own stats of the first frame (one upload at a time) to tell whether
 * some pixel is not fully opaque. Pixels are decoded later, once, where they are used.
 */
export async function checkUpload(input: Uint8Array, limits: DecodeLimits = {}): Promise<ImageSummary> {
  const header = await readImageHeader(input, limits);
  const { width, height, format, frames } = header;
  if (!header.hasAlpha) return { width, height, format, frames, hasAlpha: false };
  const stats = alphaStats.then(() =>
    sharp(input, {
      failOn: 'error',
      limitInputPixels: limits.maxPixels ?? DEFAULT_MAX_PIXELS,
      limitInputChannels: limits.maxChannels ?? DEFAULT_MAX_CHANNELS,
      pages: 1,
    }).stats(),
  );
  alphaStats = stats.catch(() => undefined);
  try {
    const { isOpaque } = await stats;
    return { width, height, format, frames, hasAlpha: !isOpaque };
  } catch (e) {
    throw fromSharpError(e, format);
  }
}

/**
 * Decode an untrusted upload to 8-bit sRGB: reject on size, pixel count (from the header,
 * before decoding), channel count and format; take the first frame; auto-orient by EXIF. The
 * upload is decoded once, to RGBA; libvips then composites alpha over white,
 * out = floor((c a + 255 (255 - a)) / 255) (flatten), and the alpha channel is returned
 * separately (extractChannel) when some pixel is not fully opaque (stats).
 */
export async function decodeImage(input: Uint8Array, limits: DecodeLimits = {}): Promise<DecodedImage> {
  const maxPixels = limits.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxChannels = limits.maxChannels ?? DEFAULT_MAX_CHANNELS;
  const { format, frames } = await readImageHeader(input, limits);

  // failOn 'error' rejects truncated and corrupt data; 'warning' would also reject common
  // harmless warnings (e.g. libpng's "iCCP: known incorrect sRGB profile").
  let data: Buffer;
  let info: OutputInfo;
  try {
    ({ data, info } = await sharp(input, {
      failOn: 'error',
      limitInputPixels: maxPixels,
      limitInputChannels: maxChannels,
      pages: 1,
      autoOrient: true,
    })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true }));
  } catch (e) {
    throw fromSharpError(e, format);
  }
  if (info.channels !== 4 || data.length !== info.width * info.height * 4) {
    throw new ImageInputError(
      'unsupported',
      `I could not decode that ${format.toUpperCase()} image; try saving it as PNG or JPEG.`,
      { format },
    );
  }

  // The decoded RGBA, read by libvips again from memory (no second decode).
  const rgba = () => sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } });
  const { isOpaque } = await rgba().stats();
  const rgb = await (isOpaque ? rgba().removeAlpha() : rgba().flatten({ background: '#ffffff' }))
    .raw()
    .toBuffer();
  const out: DecodedImage = { width: info.width, height: info.height, rgb: bytesOf(rgb), format, frames };
  if (!isOpaque) out.alpha = bytesOf(await rgba().extractChannel(3).raw().toBuffer());
  return out;
}

/** A Buffer's bytes as a plain Uint8Array view (no copy). */
function bytesOf(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}
