// A latent model whose UNet keeps its weights in an external data file (model.onnx_data, fixture of
// scripts/make-onnx-fixtures.py: models/tiny-sd's UNet with its initializers moved out) runs through
// the CLI: on the CPU it draws the same pixels as models/tiny-sd, and on WebGPU (Mesa's software
// Vulkan where installed) it matches the CPU. Child processes: a WebGPU context lives for its process.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuAvailability } from '../../src/runtime/webgpu.ts';
import { MODELS_DIR, runCli } from '../cli/helpers.ts';

const FIXTURE = resolve(import.meta.dirname, 'fixtures', 'tiny-sd-unet-external');
let dir: string;
let model: string;
let env: Record<string, string>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'diffuse-extdata-'));
  model = join(dir, 'tiny-sd-external');
  cpSync(join(MODELS_DIR, 'tiny-sd'), model, { recursive: true });
  rmSync(join(model, 'unet', 'model.onnx'));
  cpSync(FIXTURE, join(model, 'unet'), { recursive: true });
  env = { DISPLAY_SIZE: '64', XDG_RUNTIME_DIR: dir, MESA_SHADER_CACHE_DIR: join(dir, 'mesa-cache') };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function draw(modelArg: string, device: string, out: string): Promise<Buffer> {
  const r = await runCli(
    [
      'imagine',
      'a red rocket',
      '--model',
      modelArg,
      '--steps',
      '2',
      '--seed',
      '7',
      '--device',
      device,
      '--json',
      '-o',
      out,
    ],
    dir,
    env,
  );
  expect(r.stderr).not.toMatch(/^diffuse:/m);
  expect(r.code).toBe(0);
  expect((JSON.parse(r.stdout) as { device: string }).device).toBe(device);
  return sharp(readFileSync(join(dir, out)))
    .removeAlpha()
    .raw()
    .toBuffer();
}

describe('a UNet with external data', () => {
  it('loads on the CPU and draws the same pixels as the model with embedded weights', async () => {
    const [ext, own] = await Promise.all([
      draw(model, 'cpu', 'ext-cpu.png'),
      draw('tiny-sd', 'cpu', 'own-cpu.png'),
    ]);
    expect(ext.length).toBeGreaterThan(0);
    expect(ext.equals(own)).toBe(true);
  });

  const probe = webgpuAvailability();
  it.skipIf(!probe.available)(
    probe.available
      ? `loads on WebGPU and matches the CPU: max |diff| <= 2, mean < 0.1 (adapter: ${probe.adapter ?? 'unknown'})`
      : `loads on WebGPU (skipped: no WebGPU adapter: ${probe.reason ?? 'unknown reason'})`,
    async () => {
      const [cpu, gpu] = await Promise.all([
        draw(model, 'cpu', 'cpu.png'),
        draw(model, 'webgpu', 'webgpu.png'),
      ]);
      expect(gpu.length).toBe(cpu.length);
      let max = 0;
      let sum = 0;
      for (let i = 0; i < cpu.length; i++) {
        const d = Math.abs(cpu[i] - gpu[i]);
        max = Math.max(max, d);
        sum += d;
      }
      expect(max).toBeLessThanOrEqual(2);
      expect(sum / cpu.length).toBeLessThan(0.1);
    },
    240_000,
  );
});
