import { describe, expect, it } from 'vitest';
import {
  chooseProviders,
  cudaAvailability,
  deviceText,
  loadModel,
  ModelError,
  plannedDevice,
} from '../../src/runtime/index.ts';
import { MODELS_DIR } from './helpers.ts';

const noCuda = () => ({ available: false, reason: 'no CUDA here' });
const hasCuda = cudaAvailability().available;

describe('execution providers', () => {
  it('uses the CPU by default', () => {
    expect(chooseProviders()).toEqual({
      device: 'cpu',
      executionProviders: ['cpu'],
      requested: 'cpu',
      fallbacks: [],
    });
  });

  it('puts CUDA with its device id first, the CPU after, when CUDA is available', () => {
    const choice = chooseProviders({ device: 'cuda', deviceId: 1 }, () => ({ available: true }));
    expect(choice.device).toBe('cuda');
    expect(choice.executionProviders).toEqual([{ name: 'cuda', deviceId: 1 }, 'cpu']);
    expect(choice.fallbacks).toEqual([]);
  });

  it('CUDA requested but unavailable: a clear error, or the CPU with fallbackToCpu', () => {
    let err: unknown;
    try {
      chooseProviders({ device: 'cuda' }, noCuda);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).code).toBe('provider-unavailable');
    expect((err as Error).message).toMatch(
      /CUDA was requested but is unavailable: no CUDA here; install the CUDA build/,
    );
    const fb = chooseProviders({ device: 'cuda', fallbackToCpu: true }, noCuda);
    expect(fb.device).toBe('cpu');
    expect(fb.fallbackReason).toContain('no CUDA here');
  });

  it('rejects a bad device id', () => {
    expect(() => chooseProviders({ device: 'cuda', deviceId: -1 }, () => ({ available: true }))).toThrow(
      /Invalid CUDA device id -1/,
    );
  });

  it.skipIf(hasCuda)(
    'on this CPU build, loadModel with device cuda fails clearly, and falls back when allowed',
    async () => {
      expect(cudaAvailability().available).toBe(false);
      await expect(loadModel('test-tiny', { modelsDir: MODELS_DIR, device: 'cuda' })).rejects.toThrow(
        /CUDA was requested but is unavailable/,
      );
      const model = await loadModel('test-tiny', {
        modelsDir: MODELS_DIR,
        device: 'cuda',
        fallbackToCpu: true,
      });
      try {
        expect(model.device).toBe('cpu');
        expect(model.fallbackReason).toMatch(/CUDA/);
        const cond = (await model.encodePrompt('rocket')).cond;
        const out = await model.denoiser(500, [{ x: new Float32Array(3 * 64 * 64), cond }]);
        expect(out[0].eps.length).toBe(3 * 64 * 64);
      } finally {
        await model.dispose();
      }
    },
  );

  it.skipIf(hasCuda)(
    'a CUDA session that fails to start is an error, or the CPU with fallbackToCpu (CPU build only)',
    async () => {
      // The probe is told CUDA is there; ORT then fails to load its CUDA provider library.
      const claimsCuda = () => ({ available: true });
      await expect(
        loadModel('test-tiny', { modelsDir: MODELS_DIR, device: 'cuda', cudaAvailability: claimsCuda }),
      ).rejects.toThrow(/CUDA session creation failed for .*unet\.onnx \(device 0\)/);
      const model = await loadModel('test-tiny', {
        modelsDir: MODELS_DIR,
        device: 'cuda',
        fallbackToCpu: true,
        cudaAvailability: claimsCuda,
      });
      try {
        expect(model.device).toBe('cpu');
        expect(model.fallbackReason).toMatch(/CUDA session creation failed/);
      } finally {
        await model.dispose();
      }
    },
  );
});

const gpu = {
  available: true,
  hardware: true,
  adapter: 'NVIDIA H200 (Vulkan driver nvidia_icd.json)',
  softwareDrivers: ['lvp_icd.json'],
};
const softwareOnly = {
  available: true,
  hardware: false,
  adapter: 'Mesa lavapipe (software Vulkan on the CPU, Vulkan driver lvp_icd.json)',
  reason: 'only a software adapter: Mesa lavapipe',
  softwareDrivers: ['lvp_icd.json'],
};
const noVulkan = {
  available: false,
  hardware: false,
  reason: 'no Vulkan loader (libvulkan.so.1) is installed',
  softwareDrivers: [],
};
const cudaOk = () => ({ available: true });

describe('WebGPU and auto devices (fake availability probes)', () => {
  it('webgpu on a hardware adapter: the WebGPU EP first, the CPU EP after for missing operators, the adapter named', () => {
    const c = chooseProviders({ device: 'webgpu' }, { webgpu: () => gpu });
    expect(c.device).toBe('webgpu');
    expect(c.executionProviders).toEqual([{ name: 'webgpu' }, 'cpu']);
    expect(c.adapter).toMatch(/NVIDIA H200/);
    expect(c.reason).toBeUndefined();
    // Asked for explicitly, software drivers are not hidden.
    expect(c.hideDrivers).toBeUndefined();
  });

  it('webgpu asked for explicitly runs on a software adapter, and says it is for tests', () => {
    const c = chooseProviders({ device: 'webgpu' }, { webgpu: () => softwareOnly });
    expect(c.device).toBe('webgpu');
    expect(c.adapter).toMatch(/lavapipe/);
    expect(c.reason).toMatch(/software adapter \(slow: for tests only\)/);
  });

  it('webgpu unavailable: the same clear error as CUDA, or the CPU with fallbackToCpu', () => {
    expect(() => chooseProviders({ device: 'webgpu' }, { webgpu: () => noVulkan })).toThrow(
      /WebGPU was requested but is unavailable: no Vulkan loader \(libvulkan\.so\.1\) is installed; install the Vulkan loader/,
    );
    const fb = chooseProviders({ device: 'webgpu', fallbackToCpu: true }, { webgpu: () => noVulkan });
    expect(fb.device).toBe('cpu');
    expect(fb.fallbackReason).toMatch(/WebGPU was requested but is unavailable: no Vulkan loader/);
    // Available but failing at session creation: the CPU follows only when falling back is allowed.
    expect(chooseProviders({ device: 'webgpu' }, { webgpu: () => gpu }).fallbacks).toEqual([]);
    expect(
      chooseProviders({ device: 'webgpu', fallbackToCpu: true }, { webgpu: () => gpu }).fallbacks.map(
        (f) => f.device,
      ),
    ).toEqual(['cpu']);
  });

  it('auto: CUDA when installed, then a hardware WebGPU adapter, then the CPU, in that order of fallbacks', () => {
    const c = chooseProviders({ device: 'auto', deviceId: 2 }, { cuda: cudaOk, webgpu: () => gpu });
    expect(c.device).toBe('cuda');
    expect(c.executionProviders).toEqual([{ name: 'cuda', deviceId: 2 }, 'cpu']);
    expect(c.reason).toMatch(/auto: the CUDA provider library is installed/);
    expect(c.fallbacks.map((f) => f.device)).toEqual(['webgpu', 'cpu']);
    expect(c.fallbacks[0].hideDrivers).toEqual(['lvp_icd.json']);
    expect(c.fallbacks[1].reason).toMatch(/CUDA did not start; WebGPU did not start/);
  });

  it('auto without CUDA picks the hardware adapter and hides software drivers from it', () => {
    const c = chooseProviders({ device: 'auto' }, { cuda: noCuda, webgpu: () => gpu });
    expect(c.device).toBe('webgpu');
    expect(c.adapter).toMatch(/NVIDIA H200/);
    expect(c.reason).toMatch(/auto: no CUDA \(no CUDA here\); hardware WebGPU adapter NVIDIA H200/);
    expect(c.hideDrivers).toEqual(['lvp_icd.json']);
    expect(c.fallbacks.map((f) => f.device)).toEqual(['cpu']);
  });

  it('auto never picks a software adapter: with only lavapipe it runs on the CPU and says why', () => {
    const c = chooseProviders({ device: 'auto' }, { cuda: noCuda, webgpu: () => softwareOnly });
    expect(c.device).toBe('cpu');
    expect(c.fallbacks).toEqual([]);
    expect(c.fallbackReason).toMatch(
      /^auto: no CUDA \(no CUDA here\); no hardware WebGPU adapter \(only a software adapter: Mesa lavapipe; auto never picks a software adapter\)$/,
    );
  });

  it('auto with nothing at all: the CPU, with both reasons', () => {
    const c = chooseProviders({ device: 'auto' }, { cuda: noCuda, webgpu: () => noVulkan });
    expect(c.device).toBe('cpu');
    expect(c.reason).toMatch(/no CUDA \(no CUDA here\); no hardware WebGPU adapter \(no Vulkan loader/);
  });

  it('plannedDevice reports the first choice, and a device that cannot start as an error reason', () => {
    expect(plannedDevice({ device: 'auto', probes: { cuda: noCuda, webgpu: () => gpu } })).toEqual({
      requested: 'auto',
      device: 'webgpu',
      adapter: gpu.adapter,
      reason: expect.stringMatching(/^auto: no CUDA/),
    });
    const bad = plannedDevice({ device: 'webgpu', probes: { webgpu: () => noVulkan } });
    expect(bad.device).toBe('cpu');
    expect(bad.reason).toMatch(/cannot start: WebGPU was requested but is unavailable/);
    expect(deviceText(bad)).toMatch(/^cpu \(asked: webgpu\) — cannot start/);
  });

  it('a WebGPU session that fails to start is an error, or the CPU with fallbackToCpu; deviceInfo says why', async () => {
    // The probe claims an adapter; VK_DRIVER_FILES pointing nowhere makes the real EP find none.
    // The runtime also hides software drivers (VK_LOADER_DRIVERS_DISABLE) when a probe claims a GPU:
    // both are restored, so that later test files in this process see the machine as it is.
    const saved = process.env.VK_DRIVER_FILES;
    const savedDisable = process.env.VK_LOADER_DRIVERS_DISABLE;
    process.env.VK_DRIVER_FILES = '/nonexistent/icd.json';
    try {
      const probes = { webgpu: () => gpu };
      await expect(
        loadModel('test-tiny', { modelsDir: MODELS_DIR, device: 'webgpu', probes }),
      ).rejects.toThrow(/WebGPU session creation failed for .*unet\.onnx \(NVIDIA H200/);
      const model = await loadModel('test-tiny', {
        modelsDir: MODELS_DIR,
        device: 'auto',
        probes: { cuda: noCuda, ...probes },
      });
      try {
        expect(model.device).toBe('cpu');
        expect(model.deviceInfo).toMatchObject({ requested: 'auto', device: 'cpu' });
        expect(model.deviceInfo?.reason).toMatch(
          /WebGPU session creation failed .*; auto: no CUDA \(no CUDA here\); WebGPU did not start/,
        );
        expect(model.fallbackReason).toBe(model.deviceInfo?.reason);
      } finally {
        await model.dispose();
      }
      if (!hasCuda) {
        // auto with both GPU probes claiming a device, and neither starting: the CPU, with both failures.
        const both = await loadModel('test-tiny', {
          modelsDir: MODELS_DIR,
          device: 'auto',
          probes: { cuda: () => ({ available: true }), ...probes },
        });
        try {
          expect(both.device).toBe('cpu');
          expect(both.fallbackReason).toMatch(
            /^CUDA session creation failed .*; WebGPU session creation failed .*; auto: CUDA did not start; WebGPU did not start$/,
          );
        } finally {
          await both.dispose();
        }
      }
    } finally {
      if (saved === undefined) delete process.env.VK_DRIVER_FILES;
      else process.env.VK_DRIVER_FILES = saved;
      if (savedDisable === undefined) delete process.env.VK_LOADER_DRIVERS_DISABLE;
      else process.env.VK_LOADER_DRIVERS_DISABLE = savedDisable;
    }
  });
});
