// Whether a module is the script Node was started with (`node --import tsx <file>`), so an entry
// module can run its main only then and stay importable by tests and other modules.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** True when `moduleUrl` (the caller's import.meta.url) is the file of process.argv[1], links resolved. */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

/** How long a stop may take after SIGTERM or SIGINT before the process exits anyway. */
export const SHUTDOWN_DEADLINE_MS = 8_000;

/**
 * Arms the stop's deadline: when closing has not finished after `ms` (a Redis that does not answer,
 * a connection that never closes), `onLate` logs what is left and the process exits with code 1,
 * well inside a service manager's stop timeout (systemd's 90 s, docker stop's 10 s).
 */
export function armShutdownDeadline(onLate: () => void, ms = SHUTDOWN_DEADLINE_MS): void {
  setTimeout(() => {
    onLate();
    process.exit(1);
  }, ms).unref();
}
