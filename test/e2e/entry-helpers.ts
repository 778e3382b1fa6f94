// Starts the real entry point as a child process for end-to-end tests: the built
// `dist/src/main.js` with plain node (what `npm start` runs), or `npm start` itself, in a fresh
// temporary working directory (so no ./.env of the checkout leaks in), a fresh DATA_DIR, the tiny
// test model and no metrics server.
// Collects stdout/stderr lines, waits for a line matching a pattern, and stops the process.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A running bot process. */
export interface EntryProcess {
  child: ChildProcess;
  /** Folder the process runs in (its cwd); DATA_DIR is `<cwd>/data`. */
  cwd: string;
  dataDir: string;
  /** Every stdout and stderr line so far, in order of arrival. */
  lines: string[];
  /** All output so far as one string. */
  output(): string;
  /** Resolves with the first line (already seen or upcoming) matching `re`; rejects on timeout or exit. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Sends SIGTERM (SIGKILL after `graceMs`), waits for the exit and removes the temporary folder. */
  stop(graceMs?: number): Promise<number | null>;
}

/** The built entry of the bot (scripts/build.mjs builds dist/ before the tests: `npm test`'s pretest). */
export const MAIN_JS = path.join(REPO_ROOT, 'dist', 'src', 'main.js');

/**
 * Spawns `node dist/src/main.js` (or, with `opts.npm`, `npm start --prefix <repo>`: npm, its shell
 * and node; or `opts.command`) with `env` on top of a minimal base environment:
 * DATA_DIR (fresh), MODEL=test-tiny, MODELS_DIR=<repo>/models, METRICS_PORT=0, LOG_LEVEL=info.
 * The parent's environment is not inherited except PATH, HOME and TMPDIR, so no chat token set in
 * the shell that runs the tests reaches the child.
 */
export function startEntry(
  env: Record<string, string> = {},
  opts: { npm?: boolean; command?: string[] } = {},
): EntryProcess {
  const cwd = mkdtempSync(path.join(tmpdir(), 'diffuse-entry-'));
  const dataDir = path.join(cwd, 'data');
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
    DATA_DIR: dataDir,
    MODEL: 'test-tiny',
    MODELS_DIR: path.join(REPO_ROOT, 'models'),
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    INTRA_OP_THREADS: '1',
  };
  const [cmd, ...args] =
    opts.command ??
    (opts.npm ? ['npm', 'start', '--silent', '--prefix', REPO_ROOT] : [process.execPath, MAIN_JS]);
  const child = spawn(cmd, args, {
    cwd,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const feed = (stream: NodeJS.ReadableStream | null) => {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const l of parts) lines.push(l);
      for (const w of waiters) w();
    });
    stream?.on('end', () => {
      if (partial) lines.push(partial);
      partial = '';
      for (const w of waiters) w();
    });
  };
  feed(child.stdout);
  feed(child.stderr);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code, signal) => {
      exitCode = signal ? null : code;
      resolve(exitCode);
      for (const w of waiters) w();
    });
  });

  const proc: EntryProcess = {
    child,
    cwd,
    dataDir,
    lines,
    output: () => lines.join('\n'),
    waitForLine(re, timeoutMs = 60_000) {
      return new Promise<string>((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => re.test(l));
          if (hit !== undefined) {
            done();
            resolve(hit);
          } else if (exitCode !== undefined) {
            done();
            reject(
              new Error(
                `main.ts exited (${exitCode}) before a line matched ${re}:\n${lines.slice(-40).join('\n')}`,
              ),
            );
          }
        };
        const done = () => {
          waiters.delete(check);
          clearTimeout(timer);
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `no line of main.ts matched ${re} within ${timeoutMs} ms:\n${lines.slice(-40).join('\n')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    exited,
    async stop(graceMs = 10_000) {
      if (exitCode === undefined && child.pid !== undefined) {
        child.kill('SIGTERM');
        const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(kill);
      }
      rmSync(cwd, { recursive: true, force: true });
      return exited;
    },
  };
  return proc;
}
