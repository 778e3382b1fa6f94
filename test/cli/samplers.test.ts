// The sampler option through the `diffuse` CLI: dpmpp-2m at 12 steps on the emoji model draws the
// heart deterministically per seed; every technique takes --sampler; a bad name is a usage error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/imaging/index.ts';
import { runCli, tempDir, writeTestPng } from './helpers.ts';

let dir: string;
let cleanup: () => void;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  await writeTestPng(join(dir, 'hole.png'), 64, 64, { x0: 20, y0: 20, x1: 44, y1: 44 });
});
afterAll(() => cleanup());

describe('diffuse --sampler', () => {
  it('imagine "a red heart" --sampler dpmpp-2m --steps 12 on emoji: a red picture, the same per seed', async () => {
    const args = ['imagine', 'a red heart', '--model', 'emoji', '--sampler', 'dpmpp-2m', '--steps', '12'];
    const a = await runCli([...args, '--seed', '3', '--json', '-o', 'a.png'], dir);
    expect(a.stderr).not.toMatch(/^diffuse:/m);
    expect(a.code).toBe(0);
    const j = JSON.parse(a.stdout);
    expect(j).toMatchObject({ sampler: 'dpmpp-2m', steps: 12, timings: { loopSteps: 12 } });
    const b = await runCli([...args, '--seed', '3', '-o', 'b.png'], dir);
    expect(b.code).toBe(0);
    expect(b.stderr).toContain('12 steps (dpmpp-2m)');
    expect((await runCli([...args, '--seed', '4', '-o', 'c.png'], dir)).code).toBe(0);
    const [pa, pb, pc] = await Promise.all(
      ['a.png', 'b.png', 'c.png'].map((f) => decodeImage(readFileSync(join(dir, f)))),
    );
    expect(Buffer.compare(pa.rgb, pb.rgb)).toBe(0);
    expect(Buffer.compare(pa.rgb, pc.rgb)).not.toBe(0);
    // A red heart: red clearly dominates green and blue over the picture.
    let r = 0;
    let g = 0;
    for (let i = 0; i < pa.rgb.length; i += 3) {
      r += pa.rgb[i];
      g += pa.rgb[i + 1];
    }
    expect(r).toBeGreaterThan(1.3 * g);
  });

  it('every sampling technique accepts --sampler', async () => {
    const model = ['--model', 'test-tiny', '--steps', '4'];
    const runs = [
      ['sketch', 'hole.png', 'a rocket', '--sampler', 'euler-a', '--noise-level', '1'],
      ['inpaint', 'hole.png', 'a rocket', '--sampler', 'ddim'],
      ['anagram', 'a rocket', 'a dog', '--sampler', 'dpmpp-2m-karras'],
      ['hybrid', 'a rocket', 'a dog', '--sampler', 'ddim-eta1'],
      ['denoise', 'hole.png', '--method', 'iterative', '--sampler', 'dpmpp-2m'],
    ];
    for (const args of runs) {
      const r = await runCli([...args, ...model, '--seed', '1', '--json', '-o', `${args[0]}.png`], dir);
      expect(r.stderr, args.join(' ')).not.toMatch(/^diffuse:/m);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).sampler).toBe(args[args.indexOf('--sampler') + 1]);
    }
  });

  it('refuses an unknown sampler with the list, exit status 2', async () => {
    const r = await runCli(['imagine', 'a cat', '--model', 'test-tiny', '--sampler', 'plms'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--sampler must be one of ddpm, ddim');
  });
});
