// Killing the inference worker thread mid native call (onnxruntime loading a model) used to abort
// the whole process ("terminate called after throwing Napi::Error"); the kill now waits until the
// thread is out of the call.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  claimForTermination,
  CONTROL_WORDS,
  nativeCall,
  NATIVE_WORD,
} from '../../src/engine/native-guard.ts';
import { MODELS_DIR, ROOT } from './helpers.ts';

describe('the native-call guard', () => {
  it('lets the main thread claim a thread for termination only while it is in no native call', async () => {
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
    let release!: () => void;
    const call = nativeCall(control, () => new Promise<string>((r) => (release = () => r('done'))));
    expect(Atomics.load(control, NATIVE_WORD)).toBe(1);
    expect(claimForTermination(control)).toBe(false);
    release();
    expect(await call).toBe('done');
    expect(Atomics.load(control, NATIVE_WORD)).toBe(0);
    expect(claimForTermination(control)).toBe(true);
    expect(Atomics.load(control, NATIVE_WORD)).toBe(-1);
  });

  it('a failing native call still leaves the count at zero', async () => {
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
    await expect(nativeCall(control, () => Promise.reject(new Error('bad model')))).rejects.toThrow(
      'bad model',
    );
    expect(claimForTermination(control)).toBe(true);
  });

  it('killing the worker while it loads its model never takes the process down', async () => {
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
          '250',
        ],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
      expect(out).not.toMatch(/terminate called/);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(out).toMatch(/survived 10 kills/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
