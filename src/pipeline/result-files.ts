// Runs in the inference process and the CLI.
// The one writer of a job's result images, shared by the inference worker and the CLI: the PNG
// upscaled for display, optionally the PNG at the model's resolution, and the trajectory GIF
// (80 ms a frame, the last held 1.5 s, looping), shrunk to a byte limit when one is given.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { encodeGif, encodePng, fitGifToBytes, labelledRow, upscaleForDisplay, type RgbImage } from '../imaging/index.ts';
import type { ResultFiles } from '../jobs/api.ts';

/** Where to write: `rawPng` and `gif` are optional (a GIF is written only when there are frames). */
export interface ResultPaths {
  png: string;
  rawPng?: string;
  gif?: string;
}

/** Sizes: shortest sides of the PNG and of GIF frames; `gifMaxBytes` = thin the GIF to fit, or write none. */
export interface ResultSizes {
  displaySize: number;
  gifSize: number;
  gifMaxBytes?: number;
}

/** What was written: a job's ResultFiles, except that the raw PNG may not be (null). */
export type WrittenResult = Omit<ResultFiles, 'rawPng'> & { rawPng: string | null };

const GIF_TIMING = { delayMs: 80, lastFrameHoldMs: 1500, loop: 0 };

function upscale(img: RgbImage, size: number): RgbImage {
  const u = upscaleForDisplay(img.rgb, img.width, img.height, size);
  return { width: u.width, height: u.height, rgb: u.rgb };
}

/** Panels at the display size, 4 model pixels apart (as the strips are), each labelled under it. */
function labelled(panels: { images: RgbImage[]; labels: string[] }, size: number): RgbImage {
  const shown = panels.images.map((p) => upscale(p, size));
  const gap = Math.round((4 * shown[0].height) / panels.images[0].height);
  return labelledRow(shown, panels.labels, gap);
}

async function put(path: string, data: Uint8Array): Promise<string> {
  const abs = resolve(path);
  await mkdir(dirname(abs), { recursive: true });
  await writeFile(abs, data);
  return abs;
}

/**
 * Writes a result's images (the raw PNG first, then the display PNG, then the GIF). With panels,
 * the display PNG is them side by side at the display size, each labelled under it.
 */
export async function writeResultFiles(
  result: { image: RgbImage; frames: readonly RgbImage[]; panels?: { images: RgbImage[]; labels: string[] } },
  paths: ResultPaths,
  sizes: ResultSizes,
): Promise<WrittenResult> {
  const { image } = result;
  const rawPng =
    paths.rawPng !== undefined
      ? await put(paths.rawPng, await encodePng(image.rgb, image.width, image.height))
      : null;
  const shown = result.panels ? labelled(result.panels, sizes.displaySize) : upscale(image, sizes.displaySize);
  const png = await put(paths.png, await encodePng(shown.rgb, shown.width, shown.height));
  const written: WrittenResult = {
    png,
    rawPng,
    gif: null,
    width: shown.width,
    height: shown.height,
    gifFrames: 0,
    gifBytes: 0,
  };
  if (paths.gif === undefined || result.frames.length === 0) return written;
  const frames = result.frames.map((f) => upscale(f, sizes.gifSize));
  const fitted =
    sizes.gifMaxBytes === undefined
      ? { fits: true, buffer: await encodeGif(frames, GIF_TIMING), frames: frames.length }
      : await fitGifToBytes(frames, GIF_TIMING, sizes.gifMaxBytes);
  if (!fitted.fits) return written;
  const gif = await put(paths.gif, fitted.buffer);
  return { ...written, gif, gifFrames: fitted.frames, gifBytes: fitted.buffer.length };
}
