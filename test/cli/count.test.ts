// --count through the `diffuse` CLI: a 2-candidate job writes one 1x2 grid (PNG and GIF) whose
// halves are the 1-candidate jobs of seed and seed + 1; a count out of range is a usage error;
// sketch --upscale runs at twice the model's size; --follow-up with --candidate starts from that
// candidate of a grid, as a file of exactly that candidate would.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, encodePng, gridCell } from '../../src/imaging/index.ts';
import { runCli, tempDir } from './helpers.ts';

let dir: string;
let cleanup: () => void;

beforeAll(() => {
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

describe('diffuse --count', () => {
  it('imagine --count 2 writes a side-by-side grid of the seed and seed+1 pictures', async () => {
    const args = ['imagine', 'rocket', '--model', 'test-tiny', '--steps', '3'];
    const grid = await runCli([...args, '--seed', '20', '--count', '2', '--json', '-o', 'grid.png', '--gif', 'grid.gif'], dir);
    expect(grid.code).toBe(0);
    expect(JSON.parse(grid.stdout)).toMatchObject({ seed: 20, seeds: [20, 21] });
    const one = await runCli([...args, '--seed', '21', '-o', 'one.png'], dir);
    expect(one.code).toBe(0);
    expect(one.stderr).toContain('imagine: seed 21');
    const [g, o] = await Promise.all(['grid.png', 'one.png'].map((f) => decodeImage(readFileSync(join(dir, f)))));
    expect(g.width).toBe(2 * g.height);
    // The right half of the display grid is seed 21's picture at the same scale.
    expect(o.height).toBe(g.height);
    let worst = 0;
    for (let y = 0; y < g.height; y++)
      for (let x = 0; x < o.width * 3; x++)
        worst = Math.max(worst, Math.abs(g.rgb[(y * g.width + o.width) * 3 + x] - o.rgb[y * o.width * 3 + x]));
    expect(worst).toBeLessThanOrEqual(1);
    expect(readFileSync(join(dir, 'grid.gif')).subarray(0, 3).toString()).toBe('GIF');
  });

  it('sketch --upscale (the U button) runs the pass at twice the size of the 64 px model', async () => {
    const made = await runCli(['imagine', 'rocket', '--model', 'test-tiny', '--steps', '2', '--seed', '4', '-o', 'in.png'], dir);
    expect(made.code).toBe(0);
    const r = await runCli(['sketch', 'in.png', 'rocket', '--model', 'test-tiny', '--steps', '3', '--noise-level', '2', '--upscale', '-o', 'up.png'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('upscaled to 128x128');
  });

  it('--follow-up vs --candidate 2/4 starts from candidate 2 of the grid, exactly as that candidate alone', async () => {
    const tiny = ['--model', 'test-tiny', '--steps', '3'];
    const made = await runCli(['imagine', 'rocket', ...tiny, '--seed', '30', '--count', '4', '-o', 'four.png'], dir);
    expect(made.code, made.stderr).toBe(0);
    const cell = gridCell(await decodeImage(readFileSync(join(dir, 'four.png'))), 4, 1);
    writeFileSync(join(dir, 'cell.png'), await encodePng(cell.rgb, cell.width, cell.height));
    const pass = ['rocket', ...tiny, '--noise-level', '1', '--seed', '9'];
    const a = await runCli(['sketch', 'four.png', ...pass, '--follow-up', 'vs', '--candidate', '2/4', '-o', 'a.png'], dir);
    const b = await runCli(['sketch', 'cell.png', ...pass, '-o', 'b.png'], dir);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    expect(readFileSync(join(dir, 'a.png')).equals(readFileSync(join(dir, 'b.png')))).toBe(true);
  });

  it('refuses --count 5 with the limit', async () => {
    const r = await runCli(['imagine', 'rocket', '--model', 'test-tiny', '--count', '5'], dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/count must be at most 4/i);
  });
});
