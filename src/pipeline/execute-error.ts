// Runs in the inference process and the CLI.
// The executor's user-facing failure: bad input discovered at run time.

/** A user-facing failure of a job (bad input discovered at run time); its message can be shown as is. */
export class ExecuteError extends Error {
  override name = 'ExecuteError';
}
