// Runs in the inference process and the CLI.
// WebGPU adapter probe without a GPU API: onnxruntime-node's WebGPU EP (Dawn) drives Vulkan on
// Linux, so what it can find follows from the Vulkan loader, the installed Vulkan drivers (ICD
// manifests) and the GPU device nodes. Software drivers (Mesa lavapipe, SwiftShader) are told
// apart so that `auto` never picks them. macOS (Metal) and Windows (D3D12) are taken as having
// a hardware adapter; session creation is the final test everywhere.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

/** What the WebGPU EP can be expected to find. */
export interface WebGpuAvailability {
  /** An adapter can be expected (a Vulkan loader and at least one usable driver, or a non-Linux OS). */
  available: boolean;
  /** At least one of those adapters is a hardware GPU. */
  hardware: boolean;
  /** The adapter Dawn is expected to pick (hardware first), e.g. "NVIDIA H200 (Vulkan driver nvidia_icd.json)". */
  adapter?: string;
  /** Why there is no adapter, or why only a software one. */
  reason?: string;
  /** Vulkan driver manifests of software renderers (file names), hidden from Dawn when only hardware will do. */
  softwareDrivers: string[];
}

/** The machine facts the probe reads; replaced in tests. */
export interface VulkanSystem {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  exists(path: string): boolean;
  /** File names in a folder ([] when missing). */
  list(dir: string): string[];
  /** A text file's contents (undefined when unreadable). */
  read(path: string): string | undefined;
}

const realSystem = (): VulkanSystem => ({
  platform: process.platform,
  env: process.env,
  exists: existsSync,
  list: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
  read: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
});

const LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib64',
  '/usr/lib',
  '/usr/local/lib',
];

/** Whether the Vulkan loader library can be found (standard folders and LD_LIBRARY_PATH). */
function hasLoader(sys: VulkanSystem): boolean {
  const dirs = [...(sys.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LIB_DIRS];
  return dirs.some((d) => sys.exists(join(d, 'libvulkan.so.1')));
}

/** Driver manifests the Vulkan loader would read: VK_DRIVER_FILES / VK_ICD_FILENAMES, else the standard search folders. */
export function driverManifests(sys: VulkanSystem): string[] {
  const explicit = sys.env.VK_DRIVER_FILES || sys.env.VK_ICD_FILENAMES;
  const fromDirs = (dirs: string[]) =>
    dirs.flatMap((d) =>
      sys
        .list(d)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => join(d, f)),
    );
  let files: string[];
  if (explicit) {
    files = explicit
      .split(':')
      .filter(Boolean)
      .flatMap((p) => (p.endsWith('.json') ? (sys.exists(p) ? [p] : []) : fromDirs([p])));
  } else {
    const home = sys.env.HOME ?? homedir();
    const config = [
      sys.env.XDG_CONFIG_HOME || join(home, '.config'),
      ...(sys.env.XDG_CONFIG_DIRS || '/etc/xdg').split(':'),
    ];
    const data = [
      sys.env.XDG_DATA_HOME || join(home, '.local/share'),
      ...(sys.env.XDG_DATA_DIRS || '/usr/local/share:/usr/share').split(':'),
    ];
    const dirs = [
      ...config.map((d) => join(d, 'vulkan/icd.d')),
      '/etc/vulkan/icd.d',
      ...data.map((d) => join(d, 'vulkan/icd.d')),
    ];
    files = fromDirs([...new Set(dirs)]);
  }
  const disabled = (sys.env.VK_LOADER_DRIVERS_DISABLE ?? '').split(',').filter(Boolean);
  return [...new Set(files)].filter((f) => !disabled.some((g) => globMatch(g, basename(f))));
}

/** The loader's glob for VK_LOADER_DRIVERS_DISABLE: `*` anywhere, otherwise an exact file name. */
function globMatch(glob: string, name: string): boolean {
  const re = new RegExp(
    `^${glob
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(name);
}

/** PCI vendor ids of the DRM render nodes (e.g. 0x10de NVIDIA, 0x1002 AMD, 0x8086 Intel). */
function renderNodeVendors(sys: VulkanSystem): string[] {
  return sys
    .list('/sys/class/drm')
    .filter((n) => /^renderD\d+$/.test(n))
    .map((n) => (sys.read(`/sys/class/drm/${n}/device/vendor`) ?? '').trim().toLowerCase())
    .filter(Boolean);
}

/** NVIDIA GPU model names from the proprietary driver's /proc files. */
function nvidiaModels(sys: VulkanSystem): string[] {
  const root = '/proc/driver/nvidia/gpus';
  return sys
    .list(root)
    .map((g) => /^Model:\s*(.+)$/m.exec(sys.read(join(root, g, 'information')) ?? '')?.[1]?.trim())
    .filter((m): m is string => Boolean(m));
}

interface Driver {
  file: string;
  software: boolean;
  /** A device this driver can drive is present (always true for software drivers). */
  present: boolean;
  name: string;
}

/** Classify a driver manifest by its file name and library: software renderer, or which GPU it drives and whether one is here. */
function classify(file: string, sys: VulkanSystem): Driver {
  const lib = /"library_path"\s*:\s*"([^"]*)"/.exec(sys.read(file) ?? '')?.[1] ?? '';
  const key = `${basename(file)} ${basename(lib)}`.toLowerCase();
  const vendors = renderNodeVendors(sys);
  const via = `Vulkan driver ${basename(file)}`;
  if (/lvp|lavapipe/.test(key))
    return {
      file,
      software: true,
      present: true,
      name: `Mesa lavapipe (software Vulkan on the CPU, ${via})`,
    };
  if (/swiftshader/.test(key))
    return { file, software: true, present: true, name: `SwiftShader (software Vulkan on the CPU, ${via})` };
  if (/nvidia/.test(key)) {
    const models = nvidiaModels(sys);
    const present = models.length > 0 || sys.exists('/dev/nvidia0') || vendors.includes('0x10de');
    return { file, software: false, present, name: `${models[0] ?? 'NVIDIA GPU'} (${via})` };
  }
  const byVendor: [RegExp, string, string][] = [
    [/radeon|amd/, '0x1002', 'AMD GPU'],
    [/intel/, '0x8086', 'Intel GPU'],
    [/nouveau/, '0x10de', 'NVIDIA GPU (nouveau)'],
    [/virtio/, '0x1af4', 'virtio GPU'],
  ];
  for (const [re, vendor, name] of byVendor) {
    if (re.test(key))
      return { file, software: false, present: vendors.includes(vendor), name: `${name} (${via})` };
  }
  return { file, software: false, present: vendors.length > 0, name: `GPU (${via})` };
}

/** Probe this machine for WebGPU adapters (see the file comment); no GPU API is touched. */
export function webgpuAvailability(sys: VulkanSystem = realSystem()): WebGpuAvailability {
  if (sys.platform === 'darwin')
    return { available: true, hardware: true, adapter: 'Metal (macOS)', softwareDrivers: [] };
  if (sys.platform === 'win32')
    return { available: true, hardware: true, adapter: 'Direct3D 12 (Windows)', softwareDrivers: [] };
  if (sys.platform !== 'linux') {
    return {
      available: false,
      hardware: false,
      reason: `no WebGPU support known on ${sys.platform}`,
      softwareDrivers: [],
    };
  }
  if (!hasLoader(sys)) {
    return {
      available: false,
      hardware: false,
      reason: 'no Vulkan loader (libvulkan.so.1) is installed',
      softwareDrivers: [],
    };
  }
  const drivers = driverManifests(sys).map((f) => classify(f, sys));
  const software = drivers.filter((d) => d.software);
  const hardware = drivers.filter((d) => !d.software && d.present);
  const softwareDrivers = software.map((d) => basename(d.file));
  if (hardware.length > 0)
    return { available: true, hardware: true, adapter: hardware[0].name, softwareDrivers };
  const idle = drivers.filter((d) => !d.software).length;
  const noGpu = idle > 0 ? `no GPU for its ${idle} hardware Vulkan driver(s)` : 'no hardware Vulkan driver';
  if (software.length > 0) {
    return {
      available: true,
      hardware: false,
      adapter: software[0].name,
      reason: `only a software adapter: ${software[0].name}; ${noGpu}`,
      softwareDrivers,
    };
  }
  return {
    available: false,
    hardware: false,
    reason: `${noGpu} (install your GPU's Vulkan driver, or Mesa's lavapipe for tests)`,
    softwareDrivers,
  };
}

/** Hide software Vulkan drivers from the loader (VK_LOADER_DRIVERS_DISABLE) before the WebGPU EP starts, so Dawn picks hardware only (native code of this process sees it: the inference worker process sets it for itself). */
export function hideSoftwareDrivers(files: readonly string[], env: NodeJS.ProcessEnv = process.env): void {
  if (files.length === 0) return;
  const current = (env.VK_LOADER_DRIVERS_DISABLE ?? '').split(',').filter(Boolean);
  env.VK_LOADER_DRIVERS_DISABLE = [...new Set([...current, ...files])].join(',');
}
