// Errors of the `diffuse` CLI and how each maps to an exit code: 2 for bad usage or bad input
// (the user can fix the command line or the file), 1 for runtime failures, 130 for Ctrl-C.
import { ConfigError } from '../../config.ts';
import { ExecuteError } from '../../engine/execute.ts';
import { isImageInputError } from '../../imaging/index.ts';
import { ModelError } from '../../runtime/index.ts';

/** Exit codes of the CLI. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** Bad usage or bad input: an unknown subcommand or flag, a malformed number, a missing or unreadable input file. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure reading or decoding one input file; the message names the file. */
export class InputFileError extends Error {
  override name = 'InputFileError';
}

/** First line of a message, without a trailing period, so every error prints as one line. */
export function oneLine(message: string): string {
  const line = message.split(/\r?\n/).find((l) => l.trim() !== '') ?? 'unknown error';
  return line.trim().replace(/\.$/, '');
}

/** Exit code and one-line message for an error: 2 for usage/input/spec/config errors and unknown models, 130 for an abort, else 1. */
export function classifyError(err: unknown): { code: number; message: string } {
  const message = oneLine(err instanceof Error ? err.message : String(err));
  if (err instanceof UsageError || err instanceof InputFileError || err instanceof ExecuteError || err instanceof ConfigError) {
    return { code: EXIT.usage, message };
  }
  if (isImageInputError(err)) return { code: EXIT.usage, message };
  if (err instanceof ModelError) return { code: err.code === 'unknown-model' ? EXIT.usage : EXIT.failure, message };
  if (err instanceof Error && err.name === 'AbortError') return { code: EXIT.interrupted, message: 'cancelled' };
  return { code: EXIT.failure, message };
}
