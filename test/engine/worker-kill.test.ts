// Killing the inference worker process at any moment, also inside a native call (onnxruntime
// loading a model), never takes the bot's process down, and a new worker loads the model again.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
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
      expect(out).toMatch(/survived 10 kills, ([1-9]|10) before the model was ready; then ready with test-tiny/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
