// Start-up errors of the real entry point (`src/main.ts` as a child process): each ends in one
// line on stderr, "diffuse-bot: <what and what to do>", and exit code 1 (2 for a bad setting),
// never a stack trace.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAIN_JS, startEntry } from './entry-helpers.ts';

const dirs: string[] = [];
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  for (const d of dirs) {
    chmodSync(d, 0o755);
    rmSync(d, { recursive: true, force: true });
  }
});

function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'diffuse-startup-'));
  dirs.push(d);
  return d;
}

/** A port held by a listener of this process for the rest of the file. */
async function busyPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  servers.push(srv);
  return (srv.address() as { port: number }).port;
}

/** Runs main.ts to its exit; its exit code and the lines it wrote to stderr. */
async function runToExit(env: Record<string, string>, command?: string[]): Promise<{ code: number | null; stderr: string[]; output: string }> {
  const p = startEntry(env, command ? { command } : {});
  let err = '';
  p.child.stderr?.on('data', (c: Buffer | string) => (err += String(c)));
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 50_000);
  const code = await p.exited;
  clearTimeout(timer);
  const output = p.output();
  await p.stop();
  return { code, stderr: err.split('\n').filter((l) => l.trim() !== ''), output };
}

/** Exit code 1 (or `code`) and exactly one stderr line, no stack trace anywhere. */
function expectOneLine(r: { code: number | null; stderr: string[]; output: string }, re: RegExp, code = 1): void {
  expect(r.stderr, r.output).toHaveLength(1);
  expect(r.stderr[0]).toMatch(/^diffuse-bot: /);
  expect(r.stderr[0]).toMatch(re);
  expect(r.output).not.toMatch(/^\s+at /m);
  expect(r.code).toBe(code);
}

const isRoot = process.getuid?.() === 0;

/** How this machine can make a folder read-only for the bot: a read-only bind mount in a mount namespace of its own (root), chmod (anyone else), or not at all. */
const readOnlyWay: 'a read-only bind mount' | 'chmod' | null = (() => {
  if (!isRoot) return 'chmod';
  const probe = mkdtempSync(path.join(tmpdir(), 'diffuse-ro-probe-'));
  try {
    execFileSync('unshare', ['-m', 'sh', '-c', 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && ! touch "$1/x" 2>/dev/null', 'sh', probe], { stdio: 'ignore' });
    return 'a read-only bind mount';
  } catch {
    return null;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

/** Runs main.ts to its exit with `roDir` read-only for it (readOnlyWay). */
async function runReadOnly(roDir: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string[]; output: string }> {
  if (readOnlyWay === 'chmod') {
    chmodSync(roDir, 0o555);
    try {
      return await runToExit(env);
    } finally {
      chmodSync(roDir, 0o755);
    }
  }
  // The mount lives in the child's own namespace: nothing outside it sees the folder read-only.
  const script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"';
  return runToExit(env, ['unshare', '-m', 'sh', '-c', script, 'sh', roDir, process.execPath, MAIN_JS]);
}

describe('start-up errors of npm start', () => {
  it('a non-local PLAYGROUND_HOST without PLAYGROUND_TOKEN', async () => {
    const r = await runToExit({ PLAYGROUND_HOST: '0.0.0.0', PLAYGROUND_TOKEN: '' });
    expectOneLine(r, /Refusing to start the playground on 0\.0\.0\.0.*PLAYGROUND_TOKEN/);
  });

  it('a playground port that is in use', async () => {
    const port = await busyPort();
    const r = await runToExit({ PLAYGROUND_PORT: String(port) });
    expectOneLine(r, new RegExp(`playground cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
  });

  it('a metrics port that is in use', async () => {
    const port = await busyPort();
    const r = await runToExit({ PLAYGROUND_PORT: '0', METRICS_PORT: String(port) });
    expectOneLine(r, new RegExp(`metrics server cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use.*METRICS_PORT`));
  });

  it('a DATA_DIR that cannot be created (a file is in the way)', async () => {
    const file = path.join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    const r = await runToExit({ DATA_DIR: path.join(file, 'data'), PLAYGROUND_PORT: '0' });
    expectOneLine(r, /DATA_DIR .*a-file\/data is not writable \(a part of the path is a file, not a folder\)/);
  });

  it.skipIf(!readOnlyWay)(
    `a read-only DATA_DIR, and a missing DATA_DIR under a read-only folder${readOnlyWay ? ` (made read-only by ${readOnlyWay})` : ' (skipped: neither a read-only bind mount, which needs root and unshare -m, nor file permissions, which do not stop root, can make a folder read-only here)'}`,
    async () => {
      const dir = path.join(tempDir(), 'data');
      mkdirSync(dir);
      const why = readOnlyWay === 'chmod' ? 'permission denied' : 'the file system is read-only';
      for (const dataDir of [dir, path.join(dir, 'sub', 'data')]) {
        const r = await runReadOnly(dir, { DATA_DIR: dataDir, PLAYGROUND_PORT: '0' });
        // Not "ENOENT" (what creating a missing folder under a read-only one reports).
        expectOneLine(r, new RegExp(`DATA_DIR ${dataDir.replace(/[/.]/g, '\\$&')} is not writable \\(${why}\\)`));
      }
    },
  );

  it('a job store that is not a database, which is left as it was', async () => {
    const dir = tempDir();
    const text = 'this is not a SQLite database, just some text that is long enough';
    writeFileSync(path.join(dir, 'jobs.sqlite'), text);
    const r = await runToExit({ DATA_DIR: dir, PLAYGROUND_PORT: '0' });
    expectOneLine(r, /jobs\.sqlite/);
    expect(readFileSync(path.join(dir, 'jobs.sqlite'), 'utf8')).toBe(text);
  });

  it('a bad setting exits with code 2', async () => {
    const r = await runToExit({ QUEUE_MAX: 'lots' });
    expectOneLine(r, /QUEUE_MAX must be a number/, 2);
  });

  it('a content rule the linear-time engine cannot run is a bad setting: code 2, naming the file and the rule', async () => {
    const file = path.join(tempDir(), 'rules.txt');
    writeFileSync(file, 'zorb\n/((a+))+$/\n/(\\w+)\\s\\1/\n');
    const r = await runToExit({ CONTENT_RULES_FILE: file, PLAYGROUND_PORT: '0' });
    expectOneLine(r, /CONTENT_RULES_FILE .*rules\.txt: \/\(\\w\+\)\\s\\1\/ refers back to a group/, 2);
  });
});

describe('DEVICE=auto through npm start', () => {
  it('runs on the CPU on a machine without CUDA or a hardware GPU adapter, and logs why', async () => {
    const p = startEntry({ DEVICE: 'auto', PLAYGROUND_PORT: '0' });
    try {
      const line = await p.waitForLine(/inference worker ready/, 50_000);
      const ready = JSON.parse(line) as { device?: string; reason?: string };
      expect(ready.device).toBe('cpu');
      expect(ready.reason).toMatch(/^auto: no CUDA \(.+\); no hardware WebGPU adapter/);
    } finally {
      await p.stop();
    }
  }, 60_000);
});
