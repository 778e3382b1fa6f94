// Runs in the bot's process (header checks) and the inference process and CLI (decoding, encoding).
// Public API of the imaging layer (sharp): safe decoding, resizing, tensors and masks, PNG/GIF encoding, strips.
export type { DecodedImage, ImageFormat, MaskImage, RgbImage } from './types.ts';
export { assertRgb } from './types.ts';
export { ImageInputError, isImageInputError, ACCEPTED_FORMATS_TEXT } from './errors.ts';
export type { ImageInputErrorCode } from './errors.ts';
export { sniffFormat } from './sniff.ts';
export type { Sniffed } from './sniff.ts';
export { decodeImage, DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, DEFAULT_MAX_CHANNELS } from './decode.ts';
export type { DecodeLimits, ImageHeader, ImageSummary } from './decode.ts';
export { checkUpload, readImageHeader } from './decode.ts';
export { resizeImage, resizeMask, fitToModel } from './resize.ts';
export type { FitMode, FittedImage } from './resize.ts';
export {
  rgbToTensor,
  tensorToRgb,
  maskToTensor,
  maskFromAlpha,
  maskFromImage,
  maskCoverage,
} from './tensor.ts';
export {
  encodePng,
  upscaleForDisplay,
  encodeGif,
  fitGifToBytes,
  pickFrames,
  MAX_DISPLAY_SIDE,
} from './encode.ts';
export type { GifOptions, FittedGif, UpscaledImage } from './encode.ts';
export { readRgbFile } from './read-file.ts';
export { imageForModel, maskForModel } from './model-input.ts';
export { drawLabel, labelledRow, labelText } from './label.ts';
export type { ModelInputImage } from './model-input.ts';
export { makeStrip } from './strip.ts';
export type { StripOptions } from './strip.ts';
export { gridCell, gridLayout, makeGrid } from './grid.ts';
export { extendCanvas } from './canvas.ts';
export type { CanvasMove, ExtendedCanvas } from './canvas.ts';
