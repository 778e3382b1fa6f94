// Runs in the bot's process (header checks) and the inference process and CLI (decoding, encoding).
// The one error type that the imaging layer raises for bad user input.

/** Why an uploaded image was refused. */
export type ImageInputErrorCode =
  'too_large_bytes' | 'too_many_pixels' | 'not_an_image' | 'truncated' | 'unsupported';

/** Formats named to users in error messages. */
export const ACCEPTED_FORMATS_TEXT = 'PNG, JPEG, WebP, GIF, AVIF, TIFF';

/**
 * A refused upload. `message` is written for a chat user and can be shown as is; `code` is for
 * programs (exit codes, metrics); `detail` holds the numbers behind the message.
 */
export class ImageInputError extends Error {
  override readonly name = 'ImageInputError';
  readonly code: ImageInputErrorCode;
  readonly detail: Readonly<Record<string, number | string>>;

  constructor(
    code: ImageInputErrorCode,
    message: string,
    detail: Record<string, number | string> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.detail = detail;
  }
}

/** True for an ImageInputError (also across module copies, by name and code). */
export function isImageInputError(e: unknown): e is ImageInputError {
  return (
    e instanceof ImageInputError ||
    (e instanceof Error && e.name === 'ImageInputError' && typeof (e as { code?: unknown }).code === 'string')
  );
}
