// Runs in the bot's process (header checks) and the inference process and CLI (decoding, encoding).
// Output encoding: deterministic PNG, nearest-neighbour display upscaling, animated GIF of a
// trajectory, and a GIF shrinker that fits a byte budget.
import sharp from 'sharp';
import type { RgbImage } from './types.ts';
import { assertRgb } from './types.ts';

/**
 * RGB uint8 HWC -> PNG bytes. Deterministic: fixed zlib level 9, no adaptive filtering, no
 * palette, and no metadata (sharp strips EXIF/ICC/XMP and writes no tIME chunk), so the same
 * pixels always give the same bytes.
 */
export async function encodePng(rgb: Uint8Array, width: number, height: number): Promise<Buffer> {
  assertRgb({ rgb, width, height });
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 9, adaptiveFiltering: false, palette: false, progressive: false })
    .toBuffer();
}

/** An upscaled image and the integer factor used. */
export interface UpscaledImage extends RgbImage {
  factor: number;
}

/** Largest output side that display upscaling produces. */
export const MAX_DISPLAY_SIDE = 2048;

/**
 * Nearest-neighbour upscale by an integer factor k = ceil(targetMin / min(w, h)), capped so that
 * neither side exceeds 2048 px; k = 1 (a copy) for images already that large. Keeps pixel art
 * crisp where a chat client would blur a 64 px image.
 */
export function upscaleForDisplay(
  rgb: Uint8Array,
  width: number,
  height: number,
  targetMin = 512,
): UpscaledImage {
  assertRgb({ rgb, width, height });
  let k = Math.max(1, Math.ceil(targetMin / Math.min(width, height)));
  k = Math.max(1, Math.min(k, Math.floor(MAX_DISPLAY_SIDE / Math.max(width, height))));
  if (k === 1) return { width, height, rgb: rgb.slice(), factor: 1 };
  const W = width * k;
  const out = new Uint8Array(W * height * k * 3);
  const row = new Uint8Array(W * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      for (let j = 0; j < k; j++) {
        const d = (x * k + j) * 3;
        row[d] = rgb[s];
        row[d + 1] = rgb[s + 1];
        row[d + 2] = rgb[s + 2];
      }
    }
    for (let j = 0; j < k; j++) out.set(row, (y * k + j) * W * 3);
  }
  return { width: W, height: height * k, rgb: out, factor: k };
}

/** Options of an animated GIF. */
export interface GifOptions {
  /** Delay of every frame but the last, in ms (default 80; at least 20, as browsers treat shorter delays as 100 ms). */
  delayMs?: number;
  /** How long the last frame is held, in ms (default 1500). */
  lastFrameHoldMs?: number;
  /** Loop count, 0 = forever (default 0). */
  loop?: number;
  /** Palette size, 2..256 (default 256). */
  colours?: number;
  /** Frames wider than this are downscaled before encoding (aspect kept; nearest neighbour for an integer factor, else Lanczos-3). */
  maxWidth?: number;
  /** Floyd-Steinberg dithering, 0..1 (default 0: smaller files, no added noise on flat artwork). */
  dither?: number;
  /** libimagequant CPU effort, 1..10 (default 3; 7 and above are several times slower on noisy frames). */
  effort?: number;
}

const clampInt = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.round(v)));

/** Downscale one frame: nearest neighbour for an integer factor (keeps upscaled pixel art exact), else Lanczos-3. */
async function scaleFrame(f: RgbImage, width: number, height: number): Promise<Uint8Array> {
  if (f.width === width && f.height === height) return f.rgb;
  const integer = f.width % width === 0 && f.height % height === 0 && f.width / width === f.height / height;
  const data = await sharp(f.rgb, { raw: { width: f.width, height: f.height, channels: 3 } })
    .resize({ width, height, fit: 'fill', kernel: integer ? 'nearest' : 'lanczos3' })
    .raw()
    .toBuffer();
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/**
 * Frames (all the same size) -> animated GIF: frames stacked into one tall raw image with
 * pageHeight, quantised by libimagequant, each frame kept (no merging of duplicates), per-frame
 * delays [delayMs, ..., delayMs, lastFrameHoldMs] and the given loop count.
 */
export async function encodeGif(frames: readonly RgbImage[], opts: GifOptions = {}): Promise<Buffer> {
  if (frames.length === 0) throw new RangeError('encodeGif: no frames');
  const { width, height } = frames[0];
  for (const [i, f] of frames.entries()) {
    assertRgb(f, `frame ${i}`);
    if (f.width !== width || f.height !== height)
      throw new RangeError(`frame ${i} is ${f.width}x${f.height}, expected ${width}x${height}`);
  }
  let w = width;
  let h = height;
  if (opts.maxWidth !== undefined && width > opts.maxWidth) {
    w = Math.max(1, Math.floor(opts.maxWidth));
    h = Math.max(1, Math.round((height * w) / width));
  }
  const n = frames.length;
  const strip = new Uint8Array(w * h * 3 * n);
  for (let i = 0; i < n; i++) strip.set(await scaleFrame(frames[i], w, h), i * w * h * 3);

  const delayMs = clampInt(opts.delayMs ?? 80, 20, 65535);
  const hold = clampInt(opts.lastFrameHoldMs ?? 1500, 20, 65535);
  const delay = Array.from({ length: n }, (_, i) => (i === n - 1 ? hold : delayMs));
  return sharp(strip, { raw: { width: w, height: h * n, channels: 3, pageHeight: h } })
    .gif({
      loop: clampInt(opts.loop ?? 0, 0, 65535),
      delay,
      colours: clampInt(opts.colours ?? 256, 2, 256),
      dither: Math.min(1, Math.max(0, opts.dither ?? 0)),
      effort: clampInt(opts.effort ?? 3, 1, 10),
      keepDuplicateFrames: true,
    })
    .toBuffer();
}

/** Evenly spaced indices 0 .. n-1, k of them, always including the first and the last. */
export function pickFrames(n: number, k: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  if (k <= 1) return [n - 1];
  return Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1)));
}

/** The GIF that fitGifToBytes settled on. */
export interface FittedGif {
  buffer: Buffer;
  /** Whether buffer.length <= maxBytes; if false, buffer is the smallest GIF tried. */
  fits: boolean;
  frames: number;
  colours: number;
  width: number;
  height: number;
  delayMs: number;
  /** What was reduced, in order, e.g. ["colours 128", "frames 17", "width 128"]. */
  actions: string[];
}

/** Floors of the shrinking ladder. */
const MIN_FRAMES = 2;
const MIN_COLOURS = 2;
const MIN_WIDTH = 32;
/** Longest delay that frame dropping stretches the remaining frames to, in ms. */
const MAX_STRETCHED_DELAY_MS = 500;
/** Aim this far under the limit when predicting, so that most fits take one more encode. */
const SAFETY = 0.9;

/**
 * Encode a GIF that fits maxBytes. Tries the GIF as given; if too big, reduces in turn
 * (round robin) the palette (halving, to 2 colours), the frame count (halving, keeping first and
 * last, stretching delays up to 500 ms so the duration stays about the same) and the width
 * (halving, not below 32 px). Between encodes it takes as many steps as a simple size model
 * predicts are needed (bytes scale with frames x area, and by about 7/8 per palette halving),
 * so a fit usually takes two or three encodes. At least 2 frames are kept (1 if there is one).
 */
export async function fitGifToBytes(
  frames: readonly RgbImage[],
  opts: GifOptions,
  maxBytes: number,
): Promise<FittedGif> {
  if (frames.length === 0) throw new RangeError('fitGifToBytes: no frames');
  const n = frames.length;
  const w0 = frames[0].width;
  const h0 = frames[0].height;
  const baseDelay = clampInt(opts.delayMs ?? 80, 20, 65535);
  const state = {
    colours: clampInt(opts.colours ?? 256, MIN_COLOURS, 256),
    frames: n,
    width: opts.maxWidth !== undefined ? Math.max(1, Math.min(w0, Math.floor(opts.maxWidth))) : w0,
  };
  const actions: string[] = [];
  let best: FittedGif | undefined;

  const attempt = async (): Promise<FittedGif> => {
    const idx = pickFrames(n, state.frames);
    const stretched = idx.length > 1 ? (baseDelay * (n - 1)) / (idx.length - 1) : baseDelay;
    const delayMs = clampInt(Math.max(baseDelay, Math.min(MAX_STRETCHED_DELAY_MS, stretched)), 20, 65535);
    const buffer = await encodeGif(
      idx.map((i) => frames[i]),
      { ...opts, colours: state.colours, maxWidth: state.width, delayMs },
    );
    const width = Math.min(w0, state.width);
    const r: FittedGif = {
      buffer,
      fits: buffer.length <= maxBytes,
      frames: idx.length,
      colours: state.colours,
      width,
      height: width < w0 ? Math.max(1, Math.round((h0 * width) / w0)) : h0,
      delayMs,
      actions: [...actions],
    };
    if (!best || r.buffer.length < best.buffer.length) best = r;
    return r;
  };

  const minFrames = Math.min(MIN_FRAMES, n);
  const axes = ['colours', 'frames', 'width'] as const;
  let turn = 0;
  /** One reduction on the next axis that can still move; returns its predicted size factor, or 0 if none can. */
  const step = (): number => {
    for (let a = 0; a < axes.length; a++) {
      const axis = axes[(turn + a) % axes.length];
      if (axis === 'colours' && state.colours > MIN_COLOURS) {
        const bits = Math.ceil(Math.log2(state.colours));
        state.colours = Math.max(MIN_COLOURS, 2 ** (bits - 1));
        actions.push(`colours ${state.colours}`);
        turn = (turn + a + 1) % axes.length;
        return (bits - 1) / bits;
      }
      if (axis === 'frames' && state.frames > minFrames) {
        const before = state.frames;
        state.frames = Math.max(minFrames, Math.ceil(state.frames / 2));
        actions.push(`frames ${state.frames}`);
        turn = (turn + a + 1) % axes.length;
        return state.frames / before;
      }
      if (axis === 'width' && state.width > MIN_WIDTH) {
        const before = state.width;
        state.width = Math.max(MIN_WIDTH, state.width >> 1);
        actions.push(`width ${state.width}`);
        turn = (turn + a + 1) % axes.length;
        return (state.width / before) ** 2;
      }
    }
    return 0;
  };

  let r = await attempt();
  while (!r.fits) {
    let predicted = r.buffer.length;
    let moved = false;
    do {
      const f = step();
      if (f === 0) break;
      moved = true;
      predicted *= f;
    } while (predicted > maxBytes * SAFETY);
    if (!moved) break;
    r = await attempt();
  }
  return r.fits ? r : (best ?? r);
}
