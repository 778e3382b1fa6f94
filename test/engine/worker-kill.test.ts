// Killing the inference worker process at any moment, also inside a native call (onnxruntime
// loading a model), never takes the bot's process down, and a new worker loads the model again.
// A worker whose process is blocked in a call does not outlive the bot's process when it exits.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODELS_DIR, ROOT } from './helpers.ts';

describe('killing the inference worker process', () => {
  it('while it starts or loads its model never takes the bot process down', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'diffuse-kill-'));
    try {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(ROOT, 'test/engine/fixtures/kill-while-loading.ts'),
          MODELS_DIR,
          dataDir,
          'test-tiny',
          '10',
          '1500',
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
      expect(out).not.toMatch(/terminate called/);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(out).toMatch(
        /survived 10 kills, ([1-9]|10) before the model was ready; then ready with test-tiny/,
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  // A bot killed with SIGKILL while its inference process is blocked in a call leaves that process
  // until the call returns: a service manager ends it (systemd's control group, a container's PID 1).
  it.runIf(existsSync('/proc/self/stat')).each([['exits', 'exit', 0, null]])(
    'blocked in a call, it ends when the bot process %s (skipped where there is no /proc)',
    async (_what, how, exitCode, exitSignal) => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'diffuse-blocked-'));
      try {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            path.join(ROOT, 'test/engine/fixtures/exit-while-blocked.ts'),
            MODELS_DIR,
            dataDir,
            '4000',
            how,
          ],
          { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
        );
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
        expect({ code, signal }).toEqual({ code: exitCode, signal: exitSignal });
        expect(out).toMatch(/worker blocked/);
        const pid = Number(/worker pid (\d+)/.exec(out)?.[1]);
        expect(pid).toBeGreaterThan(0);
        const gone = async (): Promise<boolean> => {
          for (let i = 0; i < 100; i++) {
            try {
              const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
              if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return true;
            } catch {
              return true;
            }
            await new Promise((r) => setTimeout(r, 100));
          }
          return false;
        };
        expect(await gone()).toBe(true);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
