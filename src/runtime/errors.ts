// Runs in the inference process and the CLI.
// Errors of the runtime layer, each with a code so callers can tell bad input from a failure.

/** What went wrong: a user-fixable configuration problem, or a model that does not match its manifest. */
export type ModelErrorCode =
  'unknown-model' | 'bad-manifest' | 'model-io' | 'provider-unavailable' | 'bad-request';

/** An error of model resolution, manifest validation, session creation or a malformed denoiser request. */
export class ModelError extends Error {
  readonly code: ModelErrorCode;

  constructor(code: ModelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelError';
    this.code = code;
  }
}
