// Errors of the `diffuse` CLI and how each maps to an exit code: 2 for bad usage or bad input
// (the user can fix the command line, the file or the setting), 1 for runtime failures, 130 for
// Ctrl-C. Errors of other layers are recognised by name (and code), so this file loads nothing heavy.

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** Bad usage or bad input: an unknown subcommand or flag, a malformed number, a spec the engine rejects. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure reading or decoding one input file; the message names the file. */
export class InputFileError extends Error {
  override name = 'InputFileError';
}

/** Errors whose message is for the user and whose cause is the input: the CLI's own, imaging's, the executor's, config's. */
const INPUT_ERRORS = new Set([
  'UsageError',
  'InputFileError',
  'ImageInputError',
  'ExecuteError',
  'ConfigError',
]);

/** First line of a message, without a trailing period, so every error prints as one line. */
export function oneLine(message: string): string {
  const line = message.split(/\r?\n/).find((l) => l.trim() !== '') ?? 'unknown error';
  return line.trim().replace(/\.$/, '');
}

/** Exit code and one-line message for an error: 2 for usage/input/spec/config errors and unknown models, 130 for an abort, else 1. */
export function classifyError(err: unknown): { code: number; message: string } {
  const message = oneLine(err instanceof Error ? err.message : String(err));
  if (!(err instanceof Error)) return { code: EXIT.failure, message };
  if (err.name === 'AbortError') return { code: EXIT.interrupted, message: 'cancelled' };
  if (INPUT_ERRORS.has(err.name)) return { code: EXIT.usage, message };
  if (err.name === 'ModelError' && (err as { code?: unknown }).code === 'unknown-model')
    return { code: EXIT.usage, message };
  return { code: EXIT.failure, message };
}
