// Shared helpers of the runtime tests: a deterministic input generator and a scratch copy of a model folder.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const MODELS_DIR = resolve(import.meta.dirname, '..', '..', 'models');
export const FP16_FIXTURE = resolve(import.meta.dirname, 'fixtures', 'tiny-fp16');

/** Deterministic values in [-1, 1) from a 32-bit LCG (Numerical Recipes constants). */
export function lcgArray(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** Copy a model folder to a temp dir, optionally rewriting its model.json; returns the copy and a cleanup. */
export function scratchModel(
  name: string,
  edit?: (m: Record<string, unknown>) => void,
): { dir: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'diffuse-rt-'));
  const dir = join(root, name);
  cpSync(join(MODELS_DIR, name), dir, { recursive: true });
  if (edit) {
    const file = join(dir, 'model.json');
    const m = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    edit(m);
    writeFileSync(file, JSON.stringify(m));
  }
  return { dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Largest absolute difference between two arrays. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
