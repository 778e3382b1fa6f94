// Where the CLI reads its settings and writes its text (process streams, or fakes in tests).
import type { ProgressStream } from './progress.ts';

/** The CLI's streams, environment and cancellation. */
export interface CliIo {
  stdout: { write(s: string): unknown };
  /** Human messages, errors, and the progress bar when it is a TTY. */
  stderr: ProgressStream;
  env: NodeJS.ProcessEnv;
  /** Aborts a running job (Ctrl-C). */
  signal?: AbortSignal;
}
