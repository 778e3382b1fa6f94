// Runs in the inference process and the CLI.
// The input of a follow-up (U, V, zoom out, pan), read where the job runs: the parent's raw
// result decoded once, candidate n cut out of its grid, and for zoom out and pan the candidate
// moved on a canvas of the model's size with the new border to inpaint.
import {
  decodeImage,
  extendCanvas,
  gridCell,
  imageForModel,
  maskForModel,
  resizeImage,
  type DecodedImage,
} from '../imaging/index.ts';
import { moveOf, type FollowUpSource } from '../jobs/follow-up-source.ts';
import { ExecuteError } from './execute-error.ts';
import type { ExecuteContext, InputImage } from './execute-types.ts';

/** Limits of a stored result (written by this program, so larger than an upload's: a grid of 4 at 1024 px). */
const RESULT_LIMITS = { maxBytes: 256 * 1024 * 1024, maxPixels: 4096 * 4096 };

/**
 * A follow-up's input at the model's image size: candidate `source.candidate` cut exactly out of
 * the parent's raw result (cover-fitted to the model, as an upload is); for zoom out and pan the
 * candidate, brought to the model's size, placed on its canvas (extendCanvas), with the new border
 * as the mask (1 = regenerate).
 */
export async function parentInput(
  source: FollowUpSource,
  ctx: Pick<ExecuteContext, 'readResult'>,
  size: { width: number; height: number },
): Promise<InputImage> {
  const gone = `The picture of job ${source.parent} is no longer stored; reroll it instead.`;
  if (!ctx.readResult) throw new ExecuteError(gone);
  let bytes: Uint8Array;
  try {
    bytes = await ctx.readResult(source.parent);
  } catch (err) {
    throw new ExecuteError(gone, { cause: err });
  }
  // The one decode of the parent's picture (an ImageInputError, with its own message, if it is not one).
  const grid: DecodedImage = await decodeImage(bytes, RESULT_LIMITS);
  let cell;
  try {
    cell = source.count > 1 ? gridCell(grid, source.count, source.candidate - 1) : grid;
  } catch (err) {
    if (err instanceof RangeError)
      throw new ExecuteError(`Job ${source.parent} has no image ${source.candidate}.`, { cause: err });
    throw err;
  }
  const move = moveOf(source.action);
  if (!move) return imageForModel(cell, size.width, size.height);
  // An upscaled picture (U n) is brought back to the model's size first: the canvas is what the model paints.
  const picture =
    cell.width === size.width && cell.height === size.height
      ? cell
      : await resizeImage(cell, size.width, size.height);
  const canvas = await extendCanvas(picture, move);
  const [{ image }, border] = await Promise.all([
    imageForModel(canvas.image, size.width, size.height),
    maskForModel(canvas.mask, size.width, size.height),
  ]);
  return { image, border };
}
