// Image uploads of the playground: sniffed, stored through engine.storeUpload, and refused with
// the HTTP status that says what was wrong (413 too many bytes, 415 not an image, 422 too many
// pixels or damaged; 503 when the bot cannot store it now: a full or read-only disk).
import type { Engine, JobOwner } from '../../jobs/api.ts';
import { checkUpload, isImageInputError, sniffFormat, type DecodeLimits } from '../../imaging/index.ts';
import { ACCEPTED_FORMATS_TEXT } from '../../imaging/errors.ts';
import { HttpError, statusOfRefusal } from './http-error.ts';

/** HTTP status of each way an image can be refused by the imaging layer. */
const STATUS_OF_IMAGE_ERROR: Record<string, number> = {
  too_large_bytes: 413,
  not_an_image: 415,
  unsupported: 415,
  too_many_pixels: 422,
  truncated: 422,
};

/** Stores one uploaded image as `owner`'s (its reference is theirs) and returns its reference; throws HttpError 413/415/422 with the imaging layer's message. */
export async function storeImage(
  engine: Engine,
  bytes: Uint8Array,
  field: string,
  limits: DecodeLimits,
  owner?: JobOwner,
): Promise<string> {
  const sniffed = bytes.length === 0 ? 'unknown' : sniffFormat(bytes);
  if (sniffed === 'unknown') {
    throw new HttpError(
      415,
      `The ${field} is not an image I can read (${ACCEPTED_FORMATS_TEXT}).`,
      'not_an_image',
    );
  }
  const stored = await engine.storeUpload(bytes, owner);
  if (stored.ok) return stored.ref;
  // The bot cannot store it now (a full or read-only disk): not the image's fault.
  if (stored.code !== 'bad_image') throw new HttpError(statusOfRefusal(stored.code), stored.message, stored.code);
  // The engine says no with a user message only; checking again (from the header, fast) recovers
  // the precise reason for the status code.
  let status = 422;
  try {
    await checkUpload(bytes, limits);
  } catch (err) {
    if (isImageInputError(err)) status = STATUS_OF_IMAGE_ERROR[err.code] ?? 422;
  }
  throw new HttpError(status, stored.message, stored.code);
}
