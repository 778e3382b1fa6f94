// Stopping the bot the way a person or a service manager does: SIGTERM or SIGINT to the PID of
// `npm start` (npm forwards it to its script, which `exec`s node), to the node process itself
// (systemd's ExecStart), and to node as PID 1 of its own PID namespace (a container's
// `docker stop`). In each case, with a job running and another queued, the bot and its inference
// process end within 10 s and the queued job stays in the store for the next start.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MAIN_JS, startEntry, type EntryProcess } from './entry-helpers.ts';

const HAVE_PROC = existsSync('/proc/self/stat');
/** Whether this user may make a PID namespace (root, or unprivileged user namespaces). */
const HAVE_PIDNS =
  HAVE_PROC && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;

/** Every process below `pid` (children, grandchildren, ...). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(p)]);
    } catch {
      // ended meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => (children.get(p) ?? []).forEach((c) => (out.push(c), walk(c)));
  walk(pid);
  return out;
}

/** Whether a process still runs (a zombie waiting for its parent counts as ended). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Resolves with the exit code, or 'still running' when the process has not exited within `ms`. */
function exitWithin(entry: EntryProcess, ms: number): Promise<number | null | 'still running'> {
  return Promise.race([
    entry.exited,
    new Promise<'still running'>((r) => setTimeout(() => r('still running'), ms)),
  ]);
}

async function submit(url: string, text: string): Promise<string> {
  const res = await fetch(new URL('/api/jobs', url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  const body = (await res.json()) as { jobId?: string };
  expect(res.status, JSON.stringify(body)).toBe(202);
  return body.jobId ?? '';
}

let entry: EntryProcess | null = null;
/** Processes under the started one, killed after each test should a failed test leave them (unshare's child outlives unshare). */
let tree: number[] = [];
afterEach(async () => {
  await entry?.stop();
  entry = null;
  for (const p of tree.filter(alive)) process.kill(p, 'SIGKILL');
  tree = [];
});

/** Starts the bot, runs one job and queues another, signals the process `how` says, and checks what is left. */
async function stopWhileBusy(how: 'npm' | 'node' | 'pid1', signal: NodeJS.Signals): Promise<void> {
  const env = { MODEL: 'emoji', PLAYGROUND_PORT: '0' };
  const pidns = ['unshare', '--pid', '--fork', '--mount-proc', process.execPath, MAIN_JS];
  entry = startEntry(env, how === 'npm' ? { npm: true } : how === 'pid1' ? { command: pidns } : {});
  const url = (JSON.parse(await entry.waitForLine(/playground listening/)) as { url: string }).url;
  await entry.waitForLine(/inference worker ready/);
  await submit(url, '/imagine a rocket --steps 100 --count 4');
  await entry.waitForLine(/job started/);
  const queued = await submit(url, '/imagine a red heart');
  const started = entry.child.pid ?? -1;
  tree = descendants(started);
  // npm: its shell (exec'd into node) and the inference process; node: the inference process.
  expect(tree.length).toBeGreaterThan(0);
  // unshare's child is the namespace's PID 1: the signal goes to it, as docker stop sends it.
  process.kill(how === 'pid1' ? tree[0] : started, signal);
  expect(await exitWithin(entry, 10_000)).toBe(0);
  for (const p of tree) await expect.poll(() => alive(p), { timeout: 5_000 }).toBe(false);
  const db = new Database(path.join(entry.dataDir, 'jobs.sqlite'), { readonly: true });
  try {
    const row = db.prepare('SELECT status FROM jobs WHERE id = ?').get(queued) as
      { status: string } | undefined;
    expect(row?.status).toBe('queued');
  } finally {
    db.close();
  }
}

describe.runIf(HAVE_PROC)(
  'stopping the bot with a job running and one queued (skipped where there is no /proc)',
  () => {
    it.each([
      ["npm start's PID, SIGTERM", 'npm', 'SIGTERM'],
      ["npm start's PID, SIGINT", 'npm', 'SIGINT'],
      ['the node process, SIGTERM (systemd)', 'node', 'SIGTERM'],
    ] as const)(
      '%s: the bot and its inference process end within 10 s, the queued job is kept',
      (_name, how, signal) => stopWhileBusy(how, signal),
      90_000,
    );

    it.runIf(HAVE_PIDNS)(
      'node as PID 1 of a PID namespace, SIGTERM (docker stop): the same (skipped where unshare cannot make a PID namespace)',
      () => stopWhileBusy('pid1', 'SIGTERM'),
      90_000,
    );
  },
);

describe.runIf(HAVE_PROC)(
  'stopping the bot whose inference process is stopped (SIGSTOP) (skipped where there is no /proc)',
  () => {
    it('SIGTERM ends the bot within 10 s and the stopped inference process with it', async () => {
      entry = startEntry({ MODEL: 'emoji', PLAYGROUND_PORT: '0' });
      const url = (JSON.parse(await entry.waitForLine(/playground listening/)) as { url: string }).url;
      await entry.waitForLine(/inference worker ready/);
      await submit(url, '/imagine a rocket --steps 100 --count 4');
      await entry.waitForLine(/job started/);
      tree = descendants(entry.child.pid ?? -1);
      const [inference] = tree;
      process.kill(inference, 'SIGSTOP');
      process.kill(entry.child.pid ?? -1, 'SIGTERM');
      expect(await exitWithin(entry, 10_000)).not.toBe('still running');
      await expect.poll(() => alive(inference), { timeout: 5_000 }).toBe(false);
    }, 90_000);
  },
);
