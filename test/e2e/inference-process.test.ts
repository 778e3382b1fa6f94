// `src/main.ts` runs inference in a child process (src/inference/worker.ts). That process ends with
// the bot: on a normal stop, and also when the bot is killed outright and cannot tell it to.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEntry, type EntryProcess } from './entry-helpers.ts';

/** Children of `ppid` that run the inference worker's boot file. */
function inferenceChildren(ppid: number): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        return (
          Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === ppid &&
          readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('inference/worker-boot.mjs')
        );
      } catch {
        return false; // ended meanwhile
      }
    })
    .map(Number);
}

/** Whether `pid` still runs (a zombie that nobody has reaped yet counts as ended). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function endsWithin(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!running(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !running(pid);
}

let entry: EntryProcess | null = null;
afterEach(async () => {
  await entry?.stop();
  entry = null;
});

describe.runIf(existsSync('/proc/self/stat'))('the inference process of `npm start` (skipped where there is no /proc)', () => {
  it('runs beside the bot and ends when the bot stops', async () => {
    entry = startEntry();
    await entry.waitForLine(/inference worker ready/);
    const children = inferenceChildren(entry.child.pid ?? -1);
    expect(children).toHaveLength(1);
    expect(await entry.stop()).toBe(0);
    expect(await endsWithin(children[0], 10_000)).toBe(true);
  }, 60_000);

  it('ends by itself, mid-job, when the bot is killed (SIGKILL)', async () => {
    // Four candidates of 100 steps on the bundled model: a job of several seconds, still running at the kill.
    entry = startEntry({ MODEL: 'emoji', PLAYGROUND_PORT: '0' });
    const listening = await entry.waitForLine(/playground listening/);
    const url = (JSON.parse(listening) as { url: string }).url;
    await entry.waitForLine(/inference worker ready/);
    const [child] = inferenceChildren(entry.child.pid ?? -1);
    expect(child).toBeGreaterThan(0);
    const res = await fetch(new URL('/api/jobs', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: '/imagine a rocket --steps 100 --count 4' }),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    await entry.waitForLine(/job started/);
    entry.child.kill('SIGKILL');
    await entry.exited;
    expect(await endsWithin(child, 60_000)).toBe(true);
    // It stopped mid-job: a process that had run the job to its end would have written its image.
    const written = readdirSync(entry.dataDir, { recursive: true }).map(String);
    expect(written.filter((f) => path.basename(f) === 'image.png')).toEqual([]);
  }, 90_000);
});
