// The V8 heap flags of the long-running processes (src/engine/heap-flags.ts): the npm scripts pass
// them, they reach node through tsx and change the heap, and `src/main.ts` says when they are missing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HEAP_FLAGS, missingHeapFlags } from '../../src/engine/heap-flags.ts';
import { REPO_ROOT, startEntry } from './entry-helpers.ts';

const scripts = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

const dir = mkdtempSync(path.join(tmpdir(), 'diffuse-heap-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A script that keeps part of what it allocates alive (so the young generation grows), then prints its flags and new-space size. */
const CHURN = `
import v8 from 'node:v8';
const keep: object[] = [];
for (let i = 0; i < 200_000; i++) {
  keep.push({ i, s: 'x' + i });
  if (keep.length > 20_000) keep.splice(0, 10_000);
}
const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
console.log(JSON.stringify({ execArgv: process.execArgv, newSpace: ns?.space_size ?? -1 }));
`;

/** Runs `tsx <args> churn.ts` as an npm script would, and returns what the script printed. */
function churn(args: string[]): { execArgv: string[]; newSpace: number } {
  const file = path.join(dir, 'churn.ts');
  writeFileSync(file, CHURN);
  const r = spawnSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [...args, file], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as { execArgv: string[]; newSpace: number };
}

describe('heap flags of the long-running processes', () => {
  it.each(['start', 'worker', 'bench'])('npm run %s passes every heap flag to tsx', (name) => {
    const words = scripts[name].split(/\s+/);
    expect(words[0]).toBe('tsx');
    expect(missingHeapFlags(words)).toEqual([]);
    expect(HEAP_FLAGS.length).toBeGreaterThan(0);
  });

  it("npm start's flags reach node and hold the young generation at 1 MB semi-spaces (16 MB without them)", () => {
    const flags = scripts.start.split(/\s+/).filter((w) => w.startsWith('--'));
    const withFlags = churn(flags);
    expect(missingHeapFlags(withFlags.execArgv)).toEqual([]);
    expect(withFlags.newSpace).toBeLessThanOrEqual(2 * 1024 * 1024);
    const without = churn([]);
    expect(missingHeapFlags(without.execArgv)).toEqual([...HEAP_FLAGS]);
    expect(without.newSpace).toBeGreaterThan(2 * 1024 * 1024);
  }, 60_000);

  it('src/main.ts warns when node was started without the flags, and not when it was', async () => {
    const plain = startEntry({ PLAYGROUND_PORT: '0' }, { heapFlags: false });
    const flagged = startEntry({ PLAYGROUND_PORT: '0' });
    try {
      await Promise.all([
        plain.waitForLine(/playground listening/),
        flagged.waitForLine(/playground listening/),
      ]);
      const warning = plain.lines.find((l) => l.includes('heap flags'));
      expect(warning, plain.output()).toBeDefined();
      expect((JSON.parse(warning ?? '{}') as { missing?: string[] }).missing).toEqual([...HEAP_FLAGS]);
      expect(flagged.lines.filter((l) => l.includes('heap flags'))).toEqual([]);
    } finally {
      await Promise.all([plain.stop(), flagged.stop()]);
    }
  }, 90_000);
});
