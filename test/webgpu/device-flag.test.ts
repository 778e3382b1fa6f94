// `--device` on the CLI: parsed and checked like $DEVICE, and `diffuse models` shows the device a
// model would get with the reason.
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/adapters/cli/args.ts';
import { UsageError } from '../../src/adapters/cli/errors.ts';
import { cudaAvailability } from '../../src/runtime/index.ts';
import { runCli, ROOT } from '../cli/helpers.ts';

describe('--device', () => {
  it('is accepted by every technique and by models, case-insensitively', () => {
    const r = parseCommandLine(['imagine', 'a rocket', '--device', 'WebGPU']);
    expect(r).toMatchObject({ kind: 'run', device: 'webgpu' });
    expect(parseCommandLine(['models', '--device', 'auto'])).toMatchObject({
      kind: 'models',
      device: 'auto',
    });
    expect(parseCommandLine(['denoise', 'x.png', '--device', 'cpu'])).toMatchObject({ device: 'cpu' });
  });

  it('rejects an unknown device with the list of devices', () => {
    expect(() => parseCommandLine(['imagine', 'a rocket', '--device', 'gpu'])).toThrow(UsageError);
    expect(() => parseCommandLine(['imagine', 'a rocket', '--device', 'gpu'])).toThrow(
      "--device must be cpu, cuda, webgpu, auto (got 'gpu')",
    );
  });

  it('diffuse models prints the device the models would run on, and why', async () => {
    const r = await runCli(['models', '--device', 'cpu'], ROOT);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^device: cpu$/m);
    const auto = await runCli(['models', '--device', 'auto', '--json'], ROOT);
    const j = JSON.parse(auto.stdout) as { device: { requested: string; device: string; reason?: string } };
    expect(j.device.requested).toBe('auto');
    // auto says why it picked CUDA, or why not, whatever it picked after that.
    expect(j.device.reason).toMatch(cudaAvailability().available ? /^auto: the CUDA/ : /^auto: no CUDA \(/);
  });
});
