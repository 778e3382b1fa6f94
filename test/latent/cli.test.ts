// Every technique of the `diffuse` CLI end to end on the tiny SD-layout models (float32 and
// float16), through the real launcher: exit 0 and a decodable PNG for each.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/imaging/index.ts';
import { runCli, tempDir, writeMaskPng, writeTestPng } from '../cli/helpers.ts';

let dir: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir('diffuse-latent-cli-'));
  await writeTestPng(join(dir, 'photo.png'), 80, 60);
  await writeTestPng(join(dir, 'hole.png'), 80, 60, { x0: 30, y0: 20, x1: 50, y1: 40 });
  await writeMaskPng(join(dir, 'mask.png'), 80, 60, 40);
});
afterAll(() => cleanup());

const RUNS: [string, string[]][] = [
  ['imagine', ['imagine', 'a photo of a cat', '--steps', '4']],
  ['sketch', ['sketch', 'photo.png', 'a cat', '--steps', '6', '--noise-level', '2']],
  ['inpaint (transparent hole)', ['inpaint', 'hole.png', 'a cat', '--steps', '4']],
  ['inpaint (mask)', ['inpaint', 'photo.png', 'a cat', '--mask', 'mask.png', '--steps', '4']],
  ['anagram', ['anagram', 'a cat', 'a dog', '--steps', '4', '--view', 'rotate180']],
  ['hybrid', ['hybrid', 'a cat', 'a dog', '--steps', '4']],
  ['noise', ['noise', 'photo.png', '--t', '250,750']],
  ['denoise', ['denoise', 'photo.png', '--t', '500', '--steps', '8']],
];

describe.each(['tiny-sd', 'tiny-sd-fp16'])('diffuse on %s', (model) => {
  it.each(RUNS)('%s exits 0 and writes a PNG', async (label, args) => {
    const out = `${model}-${label.replace(/\W+/g, '-')}.png`;
    const r = await runCli([...args, '--model', model, '--seed', '3', '-o', out, '--json'], dir);
    expect(r.stderr).not.toMatch(/^diffuse:/m);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { model: string; device: string; outputs: { png: string } };
    expect(j.model).toBe(model);
    expect(j.device).toBe('cpu');
    const img = await decodeImage(readFileSync(j.outputs.png));
    expect(img.format).toBe('png');
    expect(img.width).toBeGreaterThanOrEqual(64);
  });
});

describe('diffuse models', () => {
  it('lists the tiny latent models with their latent layout and family', async () => {
    const r = await runCli(['models'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/tiny-sd\s+8x8x4\s+latent/);
    expect(r.stdout).toMatch(/tiny-sd-fp16\s+8x8x4\s+latent/);
  });

  it('uses the manifest defaults (steps) and the same seed gives the same bytes', async () => {
    const a = await runCli(
      ['imagine', 'a cat', '--model', 'tiny-sd', '--seed', '8', '-o', 'same-a.png', '--json'],
      dir,
    );
    const b = await runCli(
      ['imagine', 'a cat', '--model', 'tiny-sd', '--seed', '8', '-o', 'same-b.png', '--json'],
      dir,
    );
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout)).toMatchObject({ steps: 20, guidance: 7.5 });
    expect(readFileSync(join(dir, 'same-a.png'))).toEqual(readFileSync(join(dir, 'same-b.png')));
    expect(b.code).toBe(0);
  });
});
