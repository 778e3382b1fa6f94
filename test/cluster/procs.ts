// Helpers of the scale-out tests: a real Debian redis-server on a free 127.0.0.1 port (stopped and
// started again on the same port and data folder), the real entry points (src/main.ts, the worker
// entry) as child processes with their output lines, and a small client of the playground API.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REDIS_SERVER = '/usr/bin/redis-server';
export const HAVE_REDIS = existsSync(REDIS_SERVER);

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A child process with its output lines. */
export interface Proc {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  alive(): boolean;
  /** The first line (seen or upcoming) matching `re`. */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Parsed pino lines whose msg is `msg`. */
  logs(msg: string): Record<string, unknown>[];
  /** SIGTERM (SIGKILL after graceMs), then the exit. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Spawns `node --import tsx <script>` (or a plain command) with `env` on a minimal base environment. */
export function startProc(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
  name: string,
): Proc {
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    TSX_TSCONFIG_PATH: path.join(REPO_ROOT, 'tsconfig.json'),
  };
  const child = spawn(cmd, args, { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let exitCode: number | null | undefined;
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
      for (const w of waiters) w();
    });
  }
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => {
      exitCode = signal ? null : code;
      resolve(exitCode);
      for (const w of waiters) w();
    }),
  );
  return {
    child,
    lines,
    exited,
    alive: () => exitCode === undefined,
    waitForLine(re, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find((l) => re.test(l));
          if (hit !== undefined) return done(() => resolve(hit));
          if (exitCode !== undefined)
            done(() =>
              reject(new Error(`${name} exited (${exitCode}) before ${re}:\n${lines.slice(-30).join('\n')}`)),
            );
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(
                new Error(
                  `${name}: no line matched ${re} in ${timeoutMs} ms:\n${lines.slice(-30).join('\n')}`,
                ),
              ),
            ),
          timeoutMs,
        );
        const done = (f: () => void) => {
          waiters.delete(check);
          clearTimeout(timer);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    logs(msg) {
      const out: Record<string, unknown>[] = [];
      for (const l of lines) {
        if (!l.startsWith('{')) continue;
        try {
          const o = JSON.parse(l) as Record<string, unknown>;
          if (o.msg === msg) out.push(o);
        } catch {
          // not a log line
        }
      }
      return out;
    },
    async stop(graceMs = 10_000) {
      if (exitCode === undefined) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(t);
      }
      return exited;
    },
  };
}

/** A redis-server on 127.0.0.1 with an append-only file, so a stop and start keeps its data. */
export class TestRedis {
  proc: Proc | null = null;
  readonly dir = mkdtempSync(path.join(tmpdir(), 'diffuse-redis-'));
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'yes',
      '--dir',
      this.dir,
      '--protected-mode',
      'yes',
    ];
    this.proc = startProc(REDIS_SERVER, args, {}, this.dir, 'redis-server');
    await this.proc.waitForLine(/Ready to accept connections/, 15_000);
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = null;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A working folder (cwd and DATA_DIR) for one entry process; kept across restarts. */
export function workDir(prefix: string): { cwd: string; dataDir: string; remove(): void } {
  const cwd = mkdtempSync(path.join(tmpdir(), `diffuse-${prefix}-`));
  const dataDir = path.join(cwd, 'data');
  mkdirSync(dataDir);
  return { cwd, dataDir, remove: () => rmSync(cwd, { recursive: true, force: true }) };
}

/** Settings every cluster process of the tests shares: the tiny model, one thread, quiet previews. */
export function clusterEnv(
  redisUrl: string,
  dataDir: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    REDIS_URL: redisUrl,
    DATA_DIR: dataDir,
    MODEL: 'test-tiny',
    MODELS_DIR: path.join(REPO_ROOT, 'models'),
    INTRA_OP_THREADS: '1',
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    GIF_SIZE: '64',
    DISPLAY_SIZE: '128',
    CLUSTER_LOCK_MS: '3000',
    ...extra,
  };
}

/** Spawns a built entry point (`dist/src/main.js` or `dist/src/cluster/worker-main.js`) with node, as `npm start` and `npm run worker` do. */
export function startEntryProc(
  script: 'main' | 'worker',
  env: Record<string, string>,
  cwd: string,
  name: string,
): Proc {
  const file =
    script === 'main'
      ? path.join(REPO_ROOT, 'dist', 'src', 'main.js')
      : path.join(REPO_ROOT, 'dist', 'src', 'cluster', 'worker-main.js');
  return startProc(
    process.execPath,
    [file],
    env,
    cwd,
    name,
  );
}

/** A playground user: its own session cookie. */
export class PlaygroundUser {
  private cookie = '';
  constructor(private readonly base: string) {}

  async request(
    method: string,
    p: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${this.base}${p}`, {
      method,
      headers: {
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const set = res.headers.get('set-cookie');
    const m = set ? /diffuse_session=[^;]+/.exec(set) : null;
    if (m) this.cookie = m[0];
    const text = await res.text();
    return {
      status: res.status,
      json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text },
    };
  }

  /** Submits a text command; the 202 answer or the refusal. */
  submit(text: string) {
    return this.request('POST', '/api/jobs', { text });
  }

  /** Polls a job until its status is one of `statuses`. */
  async waitStatus(jobId: string, statuses: string[], timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.request('GET', `/api/jobs/${jobId}`).catch(() => null);
      if (r && statuses.includes(String(r.json.status))) return r.json;
      if (Date.now() > until)
        throw new Error(
          `job ${jobId} is ${String(r?.json.status)}, not ${statuses.join('/')}, after ${timeoutMs} ms`,
        );
      await sleep(100);
    }
  }
}

/** The playground address printed by main.ts. */
export async function playgroundUrl(p: Proc): Promise<string> {
  const line = await p.waitForLine(/diffuse-bot playground: http/, 60_000);
  return /http:\/\/[^\s/]+/.exec(line)![0];
}
