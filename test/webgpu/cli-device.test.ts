// Every technique through the `diffuse` CLI with --device webgpu on the tiny models (pixel, latent
// float32, latent float16), compared with the same run on the CPU. On a machine without a GPU this
// runs on Mesa's software Vulkan driver (lavapipe; .ci/run installs it); where no WebGPU adapter
// exists at all, the suite is skipped and its name says why.
//
// Tolerance, on 8-bit output pixels (0-255), per model:
// - float32 models: the WebGPU EP computes in float32 like the CPU EP but sums in another order and
//   uses its own exp/erf, so outputs differ by ~1e-6 relative per UNet call (the note
//   ../shared/notes/webgpu.md measured 2.3e-6 on the emoji UNet). After rounding to 8 bits a pixel
//   may land one level off (measured on lavapipe: max 1, mean <= 0.001): max 2, mean under 0.1.
// - the float16 model: the CPU EP upcasts most float16 operators to float32, the WebGPU EP computes
//   in float16 (10-bit mantissa, ~5e-4 relative) (measured: max 1, mean <= 0.03): max 6, mean
//   under 0.5, room for a GPU whose float16 rounding differs from lavapipe's.
// A wrong kernel, a dropped input or a mis-ordered layout moves pixels by tens of levels.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuAvailability } from '../../src/runtime/webgpu.ts';
import { runCli, writeMaskPng, writeTestPng } from '../cli/helpers.ts';

const probe = webgpuAvailability();
const title = probe.available
  ? `--device webgpu matches the CPU on every technique (adapter: ${probe.adapter ?? 'unknown'})`
  : `--device webgpu matches the CPU (skipped: no WebGPU adapter: ${probe.reason ?? 'unknown reason'})`;

const MODELS = [
  { name: 'test-tiny', maxDiff: 2, meanDiff: 0.1 },
  { name: 'tiny-sd', maxDiff: 2, meanDiff: 0.1 },
  { name: 'tiny-sd-fp16', maxDiff: 6, meanDiff: 0.5 },
] as const;

/** One run per technique, 2 steps (lavapipe compiles each shader on first use: seconds each). */
const TECHNIQUES: [string, string[]][] = [
  ['imagine', ['imagine', 'a red rocket']],
  ['sketch', ['sketch', 'photo.png', 'rocket', '--noise-level', '1']],
  ['inpaint', ['inpaint', 'photo.png', 'dog', '--mask', 'mask.png']],
  ['anagram', ['anagram', 'rocket', 'ship', '--view', 'rotate180']],
  ['hybrid', ['hybrid', 'rocket', 'dog', '--sigma', '1.5', '--kernel', '9']],
  ['noise', ['noise', 'photo.png', '--t', '300,700']],
  ['denoise', ['denoise', 'photo.png', '--t', '400', '--method', 'iterative']],
];

let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'diffuse-webgpu-'));
  // A fresh shader cache, so the time this suite takes here is what it takes on a fresh CI machine.
  env = {
    DISPLAY_SIZE: '64',
    XDG_RUNTIME_DIR: dir,
    MESA_SHADER_CACHE_DIR: join(dir, 'mesa-cache'),
  };
  await writeTestPng(join(dir, 'photo.png'), 80, 60);
  await writeMaskPng(join(dir, 'mask.png'), 80, 60, 40);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Raw RGB of a PNG the CLI wrote. */
async function rgb(file: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(readFileSync(join(dir, file)))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Run one technique on a device; returns the --json report. */
async function run(model: string, args: string[], device: string, out: string) {
  const steps = args[0] === 'noise' ? [] : ['--steps', '2'];
  const r = await runCli(
    [...args, '--model', model, ...steps, '--seed', '7', '--device', device, '--json', '-o', out],
    dir,
    env,
  );
  expect(r.stderr).not.toMatch(/^diffuse:/m);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as { device: string };
}

describe.skipIf(!probe.available)(title, () => {
  for (const m of MODELS) {
    for (const [technique, args] of TECHNIQUES) {
      it(`${m.name} ${technique}: max |diff| <= ${m.maxDiff}, mean < ${m.meanDiff} (8-bit levels)`, async () => {
        const base = `${m.name}-${technique}`;
        // Both processes at once: each spends much of its time starting up and loading.
        const [cpu, gpu] = await Promise.all([
          run(m.name, args, 'cpu', `${base}-cpu.png`),
          run(m.name, args, 'webgpu', `${base}-webgpu.png`),
        ]);
        expect(cpu.device).toBe('cpu');
        expect(gpu.device).toBe('webgpu');
        const a = await rgb(`${base}-cpu.png`);
        const b = await rgb(`${base}-webgpu.png`);
        expect([b.width, b.height]).toEqual([a.width, a.height]);
        let max = 0;
        let sum = 0;
        for (let i = 0; i < a.data.length; i++) {
          const d = Math.abs(a.data[i] - b.data[i]);
          max = Math.max(max, d);
          sum += d;
        }
        const mean = sum / a.data.length;
        console.log(`${base}: max |diff| ${max}, mean ${mean.toFixed(3)}`);
        expect(max).toBeLessThanOrEqual(m.maxDiff);
        expect(mean).toBeLessThan(m.meanDiff);
      }, 240_000); // the first run of a model compiles its shaders: 25-60 s on 2 busy cores
    }
  }
});
