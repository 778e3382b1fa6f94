// Runs in the bot's process (header checks) and the inference process and CLI (decoding, encoding).
// Plain image data shared by the imaging layer and its callers. No I/O.

/** An 8-bit sRGB image, row-major, interleaved RGB (HWC, 3 bytes per pixel). */
export interface RgbImage {
  width: number;
  height: number;
  /** Length width * height * 3. */
  rgb: Uint8Array;
}

/** A binary mask, row-major (HW, 1 byte per pixel): 1 = regenerate, 0 = keep. */
export interface MaskImage {
  width: number;
  height: number;
  /** Length width * height, every value 0 or 1. */
  mask: Uint8Array;
}

/** Raster formats accepted from users. */
export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'avif' | 'tiff';

/** A decoded upload: the first frame, auto-oriented, alpha flattened onto white. */
export interface DecodedImage extends RgbImage {
  /**
   * The original alpha channel (HW, 0..255), present only when at least one pixel is not fully
   * opaque. `maskFromAlpha` turns it into an inpainting mask.
   */
  alpha?: Uint8Array;
  format: ImageFormat;
  /** Number of frames in the input (animated GIF/WebP); only the first one is decoded. */
  frames: number;
}

/** Check that an RgbImage's buffer matches its dimensions. */
export function assertRgb(img: RgbImage, what = 'image'): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width < 1 || img.height < 1) {
    throw new RangeError(`${what}: bad size ${img.width}x${img.height}`);
  }
  if (img.rgb.length !== img.width * img.height * 3) {
    throw new RangeError(
      `${what}: expected ${img.width * img.height * 3} bytes of RGB, got ${img.rgb.length}`,
    );
  }
}
