// End-to-end runs on the bundled emoji model (models/emoji), through the `diffuse` CLI with its
// default model: the prompt steers the colours and the layout the model draws.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadCoarsePrior } from '../../src/runtime/coarse-prior.ts';
import { readManifest } from '../../src/runtime/manifest.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'diffuse.js');
const dir = mkdtempSync(join(tmpdir(), 'emoji-model-'));
const emojiDir = join(import.meta.dirname, '..', '..', 'models', 'emoji');

/** Mean RGB of the pixels that are not (near) white background. */
async function inkColour(file: string): Promise<[number, number, number]> {
  const data = await sharp(file).resize(64, 64, { kernel: 'nearest' }).raw().toBuffer();
  const sum = [0, 0, 0];
  let n = 0;
  for (let i = 0; i < data.length; i += 3) {
    if (data[i] + data[i + 1] + data[i + 2] > 700) continue;
    n++;
    for (let c = 0; c < 3; c++) sum[c] += data[i + c];
  }
  return sum.map((s) => s / Math.max(n, 1)) as [number, number, number];
}

async function imagine(prompt: string, seed: number) {
  const out = join(dir, `${prompt.replace(/\W+/g, '_')}-${seed}.png`);
  const { stdout } = await run(process.execPath, [bin, 'imagine', prompt, '--seed', String(seed), '-o', out, '--json'], {
    cwd: dir,
    env: { ...process.env, MODEL: '' },
  });
  return { out, report: JSON.parse(stdout) };
}

describe('bundled emoji model', () => {
  it('is the default model and reports what it understood', async () => {
    const { out, report } = await imagine('a rocket ship zorblax', 7);
    expect(report.model).toBe('emoji');
    expect(report.steps).toBe(33);
    expect(report.understood.map((u: { label: string }) => u.label)).toEqual(['🚢 ship', '🚀 rocket']);
    expect(report.unknown).toEqual(['zorblax']);
    const meta = await sharp(readFileSync(out)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 512, 512]);
  });

  it('lays out "a skull" like the training images of 💀 (the coarse data prior)', async () => {
    const prior = await loadCoarsePrior(emojiDir, readManifest(emojiDir).prior!, { channels: 3, height: 64, width: 64 });
    for (const seed of [1, 2]) {
      const { out } = await imagine('a skull', seed);
      const small = await sharp(out).resize(16, 16, { kernel: 'cubic' }).raw().toBuffer();
      const per = 3 * 16 * 16;
      let best = Infinity;
      let bestEmoji = '';
      for (let k = 0; k < prior.emoji.length; k++) {
        let d = 0;
        for (let c = 0; c < 3; c++) {
          for (let i = 0; i < 256; i++) d += (small[i * 3 + c] / 127.5 - 1 - prior.tiles[k * per + c * 256 + i]) ** 2;
        }
        if (d < best) [best, bestEmoji] = [d, prior.emoji[k]];
      }
      expect(bestEmoji).toBe('💀');
    }
  });

  it('draws a red heart red and a grinning face yellow', async () => {
    for (const seed of [1, 2]) {
      const [r, g, b] = await inkColour((await imagine('a red heart', seed)).out);
      expect(g / r).toBeLessThan(0.4);
      expect(b / r).toBeLessThan(0.4);
      const [fr, fg, fb] = await inkColour((await imagine('a grinning face', seed)).out);
      expect(fg / fr).toBeGreaterThan(0.6);
      expect(fb / fr).toBeLessThan(0.5);
    }
  });
});
