// Shared helpers of the engine tests: a config on a fresh data dir with the tiny test model.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll } from 'vitest';
import { loadConfig, type Config } from '../../src/config.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MODELS_DIR = path.join(ROOT, 'models');

const made: string[] = [];
// Data dirs of a test file go when the file is done (helpers is imported while the file is collected).
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A config for tests: fresh DATA_DIR, the tiny model, silent logs, no metrics server. */
export function testConfig(env: Record<string, string> = {}): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'diffuse-engine-'));
  made.push(dataDir);
  return loadConfig({
    DATA_DIR: dataDir,
    MODEL: 'test-tiny',
    MODELS_DIR,
    LOG_LEVEL: 'silent',
    METRICS_PORT: '0',
    PROGRESS_INTERVAL_MS: '0',
    GIF_SIZE: '64',
    DISPLAY_SIZE: '128',
    ...env,
  });
}

/** A w x h PNG: a left-to-right red gradient; with `hole`, the centre quarter is transparent. */
export async function testPng(w = 48, h = 40, hole = false): Promise<Buffer> {
  const px = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      px[i] = Math.round((255 * x) / (w - 1));
      px[i + 1] = 40;
      px[i + 2] = 200;
      const inHole = hole && x >= w / 4 && x < (3 * w) / 4 && y >= h / 4 && y < (3 * h) / 4;
      px[i + 3] = inHole ? 0 : 255;
    }
  }
  return sharp(px, { raw: { width: w, height: h, channels: 4 } })
    .png()
    .toBuffer();
}
