// End-to-end runs of the `diffuse` CLI on the tiny test model: every technique writes a decodable
// image, --json reports the run, --gif writes an animated GIF, seeds are deterministic.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/imaging/index.ts';
import { runCli, tempDir, writeMaskPng, writeTestPng } from './helpers.ts';

const MODEL = ['--model', 'test-tiny'];
let dir: string;
let cleanup: () => void;

beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  await writeTestPng(join(dir, 'photo.png'), 80, 60);
  await writeTestPng(join(dir, 'hole.png'), 80, 60, { x0: 30, y0: 20, x1: 50, y1: 40 });
  await writeMaskPng(join(dir, 'mask.png'), 80, 60, 40);
});
afterAll(() => cleanup());

async function decoded(file: string) {
  return decodeImage(readFileSync(join(dir, file)));
}

describe('diffuse imagine', () => {
  it('writes ./imagine-<seed>.png by default, a PNG that decodes at display size', async () => {
    const r = await runCli(['imagine', 'a rocket', ...MODEL, '--steps', '5', '--seed', '11'], dir);
    expect(r.stderr).not.toMatch(/^diffuse:/m);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(join(dir, 'imagine-11.png'));
    const img = await decoded('imagine-11.png');
    expect(img.format).toBe('png');
    expect([img.width, img.height]).toEqual([512, 512]); // 64 px upscaled x8 for display
    expect(r.stderr).toContain('understood: 🚀 rocket');
  });

  it('--json prints one object with the seed, steps, guidance, model, timings, understood words and outputs', async () => {
    const r = await runCli(
      [
        'imagine',
        'rocket zorb',
        ...MODEL,
        '--steps',
        '4',
        '--seed',
        '5',
        '--cfg',
        '3.5',
        '--json',
        '-o',
        'sub/out.png',
      ],
      dir,
    );
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      technique: 'imagine',
      seed: 5,
      steps: 4,
      guidance: 3.5,
      model: 'test-tiny',
      unknown: ['zorb'],
    });
    expect(j.understood.map((c: { label: string }) => c.label)).toEqual(['🚀 rocket']);
    expect(j.outputs).toEqual({ png: join(dir, 'sub', 'out.png'), gif: null });
    expect(j.timings.loopSteps).toBe(4);
    for (const k of ['totalMs', 'modelMs', 'perStepMs'] as const) {
      expect(typeof j.timings[k]).toBe('number');
      expect(j.timings[k]).toBeGreaterThan(0);
    }
    expect(j.timings.modelMs).toBeLessThanOrEqual(j.timings.totalMs);
    expect((await decoded('sub/out.png')).width).toBe(512);
    expect(r.stderr).toBe(''); // no human lines, no progress bar off a TTY
  });

  it('the same seed gives identical PNG bytes, another seed different bytes', async () => {
    const run = (seed: string, out: string) =>
      runCli(['imagine', 'dog', ...MODEL, '--steps', '5', '--seed', seed, '-o', out], dir);
    const [a, b, c] = await Promise.all([run('42', 'a.png'), run('42', 'b.png'), run('43', 'c.png')]);
    expect([a.code, b.code, c.code]).toEqual([0, 0, 0]);
    const [pa, pb, pc] = ['a.png', 'b.png', 'c.png'].map((f) => readFileSync(join(dir, f)));
    expect(pa.equals(pb)).toBe(true);
    expect(pa.equals(pc)).toBe(false);
    const [da, dc] = [await decoded('a.png'), await decoded('c.png')];
    let differing = 0;
    for (let i = 0; i < da.rgb.length; i++) if (da.rgb[i] !== dc.rgb[i]) differing++;
    expect(differing / da.rgb.length).toBeGreaterThan(0.5);
  });

  it('--gif writes an animated GIF with one frame per step', async () => {
    const r = await runCli(
      ['imagine', 'ship', ...MODEL, '--steps', '5', '--seed', '1', '--gif', 'traj.gif', '--json'],
      dir,
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).outputs.gif).toBe(join(dir, 'traj.gif'));
    const meta = await sharp(readFileSync(join(dir, 'traj.gif')), { animated: true }).metadata();
    expect(meta.format).toBe('gif');
    expect(meta.pages).toBe(5);
    expect(meta.loop).toBe(0);
  });
});

describe('diffuse techniques on an input image', () => {
  const cases: [string, string[], string][] = [
    ['sketch', ['sketch', 'photo.png', 'rocket', '--noise-level', '2', '--steps', '5'], 'sketch.png'],
    ['inpaint (transparent region)', ['inpaint', 'hole.png', 'dog', '--steps', '5'], 'inpaint-alpha.png'],
    [
      'inpaint (--mask)',
      ['inpaint', 'photo.png', 'dog', '--mask', 'mask.png', '--steps', '5'],
      'inpaint-mask.png',
    ],
    ['hybrid', ['hybrid', 'rocket', 'dog', '--sigma', '1.5', '--kernel', '9', '--steps', '5'], 'hybrid.png'],
  ];
  for (const [name, args, out] of cases) {
    it(`${name} writes a decodable 64 px result (upscaled to 512)`, async () => {
      const r = await runCli([...args, ...MODEL, '--seed', '3', '-o', out, '--json'], dir);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).technique).toBe(args[0]);
      const img = await decoded(out);
      expect([img.width, img.height]).toEqual([512, 512]);
    });
  }

  it('anagram shows both readings: the picture upright and under its view side by side, each labelled', async () => {
    const r = await runCli(['anagram', 'rocket', 'ship', '--view', 'rotate180', '--steps', '5', ...MODEL, '--seed', '3', '-o', 'anagram.png', '--json'], dir);
    expect(r.code).toBe(0);
    const img = await decoded('anagram.png');
    // Two 512 px panels 32 px apart (4 model pixels), over a label band of a sixth of their height.
    expect([img.width, img.height]).toEqual([2 * 512 + 32, 512 + 85]);
    const px = (x: number, y: number) => [...img.rgb.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
    // The right panel is the left one turned 180 degrees.
    let diff = 0;
    for (let y = 0; y < 512; y += 7) for (let x = 0; x < 512; x += 7) diff += Math.abs(px(x, y)[0] - px(544 + 511 - x, 511 - y)[0]);
    expect(diff / (74 * 74)).toBeLessThan(2);
    // Ink in the label band under each panel.
    const inked = (x0: number) => {
      let n = 0;
      for (let y = 512; y < img.height; y++) for (let x = x0; x < x0 + 512; x++) if (px(x, y)[0] < 64) n++;
      return n;
    };
    expect(inked(0)).toBeGreaterThan(50);
    expect(inked(544)).toBeGreaterThan(50);
  });

  it('inpaint keeps the known pixels of the input (the mask is white on the left half)', async () => {
    const r = await runCli(
      [
        'inpaint',
        'photo.png',
        'dog',
        '--mask',
        'mask.png',
        ...MODEL,
        '--steps',
        '5',
        '--seed',
        '9',
        '-o',
        'keep.png',
      ],
      dir,
      { DISPLAY_SIZE: '64' },
    );
    expect(r.code).toBe(0);
    const out = await decoded('keep.png');
    const input = await sharp(join(dir, 'photo.png'))
      .removeAlpha()
      .resize(64, 64, { fit: 'cover', kernel: 'lanczos3' })
      .raw()
      .toBuffer();
    expect([out.width, out.height]).toEqual([64, 64]);
    // Right half (mask black = keep) matches the resized input to rounding; left half was regenerated.
    let keptErr = 0;
    let newErr = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        for (let c = 0; c < 3; c++) {
          const i = (y * 64 + x) * 3 + c;
          const d = Math.abs(out.rgb[i] - input[i]);
          if (x >= 34) keptErr = Math.max(keptErr, d);
          if (x < 30) newErr += d;
        }
      }
    }
    expect(keptErr).toBeLessThanOrEqual(1);
    expect(newErr / (30 * 64 * 3)).toBeGreaterThan(10);
  });

  it('noise writes a strip of the input and one image per timestep, and a GIF of them', async () => {
    const r = await runCli(
      [
        'noise',
        'photo.png',
        '--t',
        '250,500,750',
        ...MODEL,
        '--seed',
        '2',
        '-o',
        'noise.png',
        '--gif',
        'noise.gif',
      ],
      dir,
      { DISPLAY_SIZE: '64' },
    );
    expect(r.code).toBe(0);
    const img = await decoded('noise.png');
    // Panels of 64 px, 4 apart, over a 14 px band with each panel's label (input, t = 250, ...).
    expect([img.width, img.height]).toEqual([4 * 64 + 3 * 4, 64 + 14]);
    expect((await sharp(readFileSync(join(dir, 'noise.gif')), { animated: true }).metadata()).pages).toBe(4);
  });

  it('denoise --method all writes a comparison strip: input, noisy, blur, one-step, iterative', async () => {
    const r = await runCli(
      [
        'denoise',
        'photo.png',
        '--method',
        'all',
        '--t',
        '500',
        ...MODEL,
        '--steps',
        '5',
        '--seed',
        '2',
        '-o',
        'denoise.png',
        '--json',
      ],
      dir,
      { DISPLAY_SIZE: '64' },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).technique).toBe('denoise');
    const img = await decoded('denoise.png');
    expect([img.width, img.height]).toEqual([5 * 64 + 4 * 4, 64 + 14]);
  });
});

describe('diffuse models', () => {
  it('lists the installed test models, marking the selected one', async () => {
    const r = await runCli(['models', '--model', 'test-tiny'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\* test-tiny\s+64x64x3\s+pixel/m);
    expect(r.stdout).toMatch(/^ {2}test-tiny-learned\b/m);
  });

  it('--json gives the list as one object', async () => {
    const r = await runCli(['models', '--json'], dir);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.selected).toBe('emoji');
    expect(j.models.map((m: { name: string }) => m.name)).toContain('test-tiny');
  });
});
