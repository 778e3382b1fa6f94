// The one error type of the playground's HTTP layer: a status code and a message for the user.

/** A request the playground refuses; `message` is sent as `{ error }` and can be shown as is. */
export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    message: string,
    /** A short machine-readable reason (engine refusal codes, 'too_large', ...), listed in docs/api.md. */
    readonly code: string,
  ) {
    super(message);
  }
}

/** Maps an engine refusal code to its HTTP status (RFC 9110 semantics; 429 for per-user and queue limits). */
export function statusOfRefusal(code: string | undefined): number {
  switch (code) {
    case 'invalid_spec':
    case 'bad_image':
      return 422;
    case 'queue_full':
    case 'user_limit':
      return 429;
    case 'not_found':
    case 'no_result':
      return 404;
    case 'forbidden':
    case 'content_rule':
      return 403;
    case 'not_cancellable':
      return 409;
    case 'shutting_down':
    case 'unavailable':
      return 503;
    default:
      return 400;
  }
}
