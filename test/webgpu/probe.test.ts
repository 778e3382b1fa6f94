// The WebGPU adapter probe on fake machines: which Vulkan drivers are installed, which GPUs are
// present, and whether only a software renderer (Mesa lavapipe) is left.
import { describe, expect, it } from 'vitest';
import {
  driverManifests,
  hideSoftwareDrivers,
  webgpuAvailability,
  type VulkanSystem,
} from '../../src/runtime/webgpu.ts';

/** A fake machine from a map of file contents ('' for device nodes) and environment. */
function machine(
  files: Record<string, string>,
  env: NodeJS.ProcessEnv = {},
  platform: NodeJS.Platform = 'linux',
): VulkanSystem {
  return {
    platform,
    env: { HOME: '/home/u', ...env },
    exists: (p) => p in files,
    list: (dir) => [
      ...new Set(
        Object.keys(files)
          .filter((f) => f.startsWith(`${dir}/`))
          .map((f) => f.slice(dir.length + 1).split('/')[0]),
      ),
    ],
    read: (p) => files[p],
  };
}

const LOADER = { '/usr/lib/x86_64-linux-gnu/libvulkan.so.1': '' };
const icd = (lib: string) => JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: lib } });
const MESA = {
  '/usr/share/vulkan/icd.d/lvp_icd.json': icd('libvulkan_lvp.so'),
  '/usr/share/vulkan/icd.d/radeon_icd.json': icd('libvulkan_radeon.so'),
  '/usr/share/vulkan/icd.d/intel_icd.json': icd('libvulkan_intel.so'),
};
const NVIDIA = {
  '/usr/share/vulkan/icd.d/nvidia_icd.json': icd('libGLX_nvidia.so.0'),
  '/dev/nvidia0': '',
  '/proc/driver/nvidia/gpus/0000:01:00.0/information': 'Model: \t\t NVIDIA H200\nIRQ: 42\n',
};

describe('WebGPU adapter probe', () => {
  it('no Vulkan loader: unavailable, and says what to install', () => {
    const w = webgpuAvailability(machine({ ...MESA }));
    expect(w).toMatchObject({ available: false, hardware: false });
    expect(w.reason).toMatch(/no Vulkan loader \(libvulkan\.so\.1\)/);
  });

  it('Mesa installed on a machine without a GPU: only lavapipe, a software adapter', () => {
    const w = webgpuAvailability(machine({ ...LOADER, ...MESA }));
    expect(w.available).toBe(true);
    expect(w.hardware).toBe(false);
    expect(w.adapter).toMatch(/Mesa lavapipe \(software Vulkan on the CPU/);
    expect(w.reason).toMatch(/only a software adapter.*no GPU for its 2 hardware Vulkan driver\(s\)/);
    expect(w.softwareDrivers).toEqual(['lvp_icd.json']);
  });

  it('an NVIDIA GPU with its driver: hardware, named from /proc, even with lavapipe installed', () => {
    const w = webgpuAvailability(machine({ ...LOADER, ...MESA, ...NVIDIA }));
    expect(w).toMatchObject({ available: true, hardware: true, softwareDrivers: ['lvp_icd.json'] });
    expect(w.adapter).toBe('NVIDIA H200 (Vulkan driver nvidia_icd.json)');
  });

  it('an AMD GPU is found through its DRM render node vendor id', () => {
    const amd = { '/sys/class/drm/renderD128/device/vendor': '0x1002\n' };
    const w = webgpuAvailability(machine({ ...LOADER, ...MESA, ...amd }));
    expect(w.hardware).toBe(true);
    expect(w.adapter).toBe('AMD GPU (Vulkan driver radeon_icd.json)');
  });

  it('the NVIDIA driver without a GPU, and no driver at all, are not hardware', () => {
    const noGpu = { '/usr/share/vulkan/icd.d/nvidia_icd.json': icd('libGLX_nvidia.so.0') };
    const w = webgpuAvailability(machine({ ...LOADER, ...noGpu }));
    expect(w).toMatchObject({ available: false, hardware: false });
    expect(w.reason).toMatch(/no GPU for its 1 hardware Vulkan driver/);
    expect(webgpuAvailability(machine({ ...LOADER })).reason).toMatch(/no hardware Vulkan driver/);
  });

  it('honours VK_DRIVER_FILES, VK_ICD_FILENAMES and VK_LOADER_DRIVERS_DISABLE as the loader does', () => {
    const files = { ...LOADER, ...MESA, ...NVIDIA, '/opt/icd/lvp.json': icd('libvulkan_lvp.so') };
    expect(driverManifests(machine(files, { VK_DRIVER_FILES: '/opt/icd/lvp.json:/missing.json' }))).toEqual([
      '/opt/icd/lvp.json',
    ]);
    expect(driverManifests(machine(files, { VK_ICD_FILENAMES: '/usr/share/vulkan/icd.d' }))).toHaveLength(4);
    const onlyLvp = webgpuAvailability(machine(files, { VK_LOADER_DRIVERS_DISABLE: 'nvidia*' }));
    expect(onlyLvp.hardware).toBe(false);
  });

  it('macOS and Windows have a hardware adapter through Metal and Direct3D 12', () => {
    expect(webgpuAvailability(machine({}, {}, 'darwin'))).toMatchObject({
      hardware: true,
      adapter: 'Metal (macOS)',
    });
    expect(webgpuAvailability(machine({}, {}, 'win32'))).toMatchObject({ hardware: true });
  });

  it('hideSoftwareDrivers adds to VK_LOADER_DRIVERS_DISABLE without dropping what was there', () => {
    const env: NodeJS.ProcessEnv = { VK_LOADER_DRIVERS_DISABLE: 'virtio_icd.json' };
    hideSoftwareDrivers(['lvp_icd.json'], env);
    hideSoftwareDrivers(['lvp_icd.json'], env);
    expect(env.VK_LOADER_DRIVERS_DISABLE).toBe('virtio_icd.json,lvp_icd.json');
    const hidden = webgpuAvailability(machine({ ...LOADER, ...MESA }, env));
    expect(hidden.available).toBe(false);
  });
});
