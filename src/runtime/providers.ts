// Runs in the inference process and the CLI.
// Execution providers: which device a session runs on, chosen from options and checked against the build.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { listSupportedBackends, type InferenceSession } from 'onnxruntime-node';
import { ModelError } from './errors.ts';
import { webgpuAvailability, type WebGpuAvailability } from './webgpu.ts';

/** Device and threading options for the sessions of one model. */
export interface RuntimeOptions {
  /** Execution device; `cpu` by default. */
  device?: RequestedDevice;
  /** CUDA device index (default 0). */
  deviceId?: number;
  /** Threads used inside one operator (ORT intraOpNumThreads; default: every core the process may use). */
  intraOpThreads?: number;
  /** Threads used across operators (ORT interOpNumThreads). */
  interOpThreads?: number;
  /** When CUDA or WebGPU is asked for but unavailable, run on the CPU instead of failing. */
  fallbackToCpu?: boolean;
  /** Availability probes (tests); the real ones by default. */
  probes?: Partial<DeviceProbes>;
}

/** Whether the CUDA execution provider can be used, and if not, why. */
export interface CudaAvailability {
  available: boolean;
  reason?: string;
}

const CUDA_INSTALL_HINT =
  'install the CUDA build of onnxruntime-node (`npm install onnxruntime-node --onnxruntime-node-install=cuda12`, ' +
  'needs CUDA 12 and cuDNN 9), or run with device cpu';

function providerLibraryPresent(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
    const dir = join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
    const lib =
      process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return existsSync(join(dir, lib));
  } catch {
    return false;
  }
}

/** Probe this onnxruntime-node build for CUDA: listed by `listSupportedBackends()` and its provider library installed. */
export function cudaAvailability(): CudaAvailability {
  const backend = listSupportedBackends().find((b) => b.name === 'cuda');
  if (!backend) {
    return {
      available: false,
      reason: `this onnxruntime-node build has no CUDA support on ${process.platform}/${process.arch}`,
    };
  }
  if (!backend.bundled && !providerLibraryPresent()) {
    return {
      available: false,
      reason: 'the CUDA execution provider library of onnxruntime-node is not installed',
    };
  }
  return { available: true };
}

/** A device sessions can run on. */
export type Device = 'cpu' | 'cuda' | 'webgpu';
/** A device setting: a device, or `auto` (CUDA, else a hardware WebGPU adapter, else the CPU). */
export type RequestedDevice = Device | 'auto';

/** Availability probes, replaceable in tests. */
export interface DeviceProbes {
  cuda: () => CudaAvailability;
  webgpu: () => WebGpuAvailability;
}

/** Where the sessions of a model run and why: shown by `/model` and `diffuse models`. */
export interface DeviceInfo {
  /** What the settings asked for. */
  requested: RequestedDevice;
  /** What is used. */
  device: Device;
  /** The WebGPU adapter (webgpu only), e.g. "NVIDIA H200 (Vulkan driver nvidia_icd.json)". */
  adapter?: string;
  /** Why this device: auto's reasoning, or why the device asked for is not used. */
  reason?: string;
}

/** The providers a session is created with, after the availability checks. */
export interface ProviderChoice {
  device: Device;
  executionProviders: InferenceSession.ExecutionProviderConfig[];
  requested: RequestedDevice;
  adapter?: string;
  /** Why this device (auto), or why the requested one is not used. */
  reason?: string;
  /** Set when the device asked for is not used and the CPU (or, for auto, another device) is. */
  fallbackReason?: string;
  /** Software Vulkan drivers to hide from the WebGPU EP before it starts (auto: hardware only). */
  hideDrivers?: readonly string[];
  /** What to try next, in order, when a session cannot be created on this choice (empty: fail). */
  fallbacks: ProviderChoice[];
}

const WEBGPU_INSTALL_HINT =
  "install the Vulkan loader (Debian/Ubuntu: libvulkan1) and your GPU's Vulkan driver, or run with device cpu";

const cpuChoice = (requested: RequestedDevice, reason?: string, fallback = false): ProviderChoice => ({
  device: 'cpu',
  executionProviders: ['cpu'],
  requested,
  ...(reason ? { reason } : {}),
  ...(fallback && reason ? { fallbackReason: reason } : {}),
  fallbacks: [],
});

function cudaChoice(deviceId: number, requested: RequestedDevice, reason?: string): ProviderChoice {
  return {
    device: 'cuda',
    executionProviders: [{ name: 'cuda', deviceId }, 'cpu'],
    requested,
    ...(reason ? { reason } : {}),
    fallbacks: [],
  };
}

function webgpuChoice(w: WebGpuAvailability, requested: RequestedDevice, reason?: string): ProviderChoice {
  return {
    device: 'webgpu',
    // Operators the WebGPU EP lacks run on the CPU EP.
    executionProviders: [{ name: 'webgpu' }, 'cpu'],
    requested,
    ...(w.adapter ? { adapter: w.adapter } : {}),
    ...(reason ? { reason } : {}),
    ...(requested === 'auto' && w.softwareDrivers.length > 0 ? { hideDrivers: w.softwareDrivers } : {}),
    fallbacks: [],
  };
}

/**
 * Pick execution providers: CPU by default; CUDA or WebGPU when asked and available, else an error
 * or (fallbackToCpu) the CPU; `auto`: CUDA if installed, else a hardware WebGPU adapter, else the CPU.
 * `fallbacks` lists what to try when session creation fails on the choice.
 */
export function chooseProviders(
  options: RuntimeOptions = {},
  probes: Partial<DeviceProbes> | (() => CudaAvailability) = {},
): ProviderChoice {
  const p: DeviceProbes =
    typeof probes === 'function'
      ? { cuda: probes, webgpu: webgpuAvailability }
      : { cuda: probes.cuda ?? cudaAvailability, webgpu: probes.webgpu ?? webgpuAvailability };
  const device = options.device ?? 'cpu';
  if (device === 'cpu') return cpuChoice('cpu');
  if (device !== 'cuda' && device !== 'webgpu' && device !== 'auto') {
    throw new ModelError(
      'provider-unavailable',
      `Unknown device "${String(device)}" (expected cpu, cuda, webgpu or auto)`,
    );
  }
  const deviceId = options.deviceId ?? 0;
  if (device !== 'webgpu' && (!Number.isInteger(deviceId) || deviceId < 0)) {
    throw new ModelError(
      'provider-unavailable',
      `Invalid CUDA device id ${deviceId} (expected an integer >= 0)`,
    );
  }
  if (device === 'cuda') {
    const probe = p.cuda();
    if (!probe.available) {
      const reason = `CUDA was requested but is unavailable: ${probe.reason ?? 'unknown reason'}`;
      if (options.fallbackToCpu) return cpuChoice('cuda', reason, true);
      throw new ModelError('provider-unavailable', `${reason}; ${CUDA_INSTALL_HINT}.`);
    }
    return { ...cudaChoice(deviceId, 'cuda'), fallbacks: options.fallbackToCpu ? [cpuChoice('cuda')] : [] };
  }
  if (device === 'webgpu') {
    const probe = p.webgpu();
    if (!probe.available) {
      const reason = `WebGPU was requested but is unavailable: ${probe.reason ?? 'unknown reason'}`;
      if (options.fallbackToCpu) return cpuChoice('webgpu', reason, true);
      throw new ModelError('provider-unavailable', `${reason}; ${WEBGPU_INSTALL_HINT}.`);
    }
    const note = probe.hardware ? undefined : 'a software adapter (slow: for tests only)';
    return {
      ...webgpuChoice(probe, 'webgpu', note),
      fallbacks: options.fallbackToCpu ? [cpuChoice('webgpu')] : [],
    };
  }
  // auto: CUDA, else a hardware WebGPU adapter, else the CPU; each later one is also the fallback of the earlier.
  const cuda = p.cuda();
  const webgpu = p.webgpu();
  const noCuda = `no CUDA (${cuda.reason ?? 'unavailable'})`;
  const noGpu = webgpu.hardware
    ? ''
    : `no hardware WebGPU adapter (${webgpu.reason ?? 'none found'}${webgpu.available ? '; auto never picks a software adapter' : ''})`;
  const chain: ProviderChoice[] = [];
  if (cuda.available)
    chain.push(cudaChoice(deviceId, 'auto', 'auto: the CUDA provider library is installed'));
  if (webgpu.hardware) {
    chain.push(
      webgpuChoice(
        webgpu,
        'auto',
        `auto: ${cuda.available ? 'CUDA did not start' : noCuda}; hardware WebGPU adapter ${webgpu.adapter ?? ''}`.trim(),
      ),
    );
  }
  chain.push(
    cpuChoice(
      'auto',
      `auto: ${cuda.available ? 'CUDA did not start' : noCuda}; ${webgpu.hardware ? 'WebGPU did not start' : noGpu}`,
      true,
    ),
  );
  return { ...chain[0], fallbacks: chain.slice(1) };
}

/** ORT session options from runtime options: graph optimization 'all', thread counts, the chosen providers. */
export function sessionOptions(
  options: RuntimeOptions,
  providers: InferenceSession.ExecutionProviderConfig[],
): InferenceSession.SessionOptions {
  const out: InferenceSession.SessionOptions = {
    executionProviders: providers,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  // ORT's own default counts physical cores and can pick 1 on small virtual machines; a sample
  // on the bundled model then takes 1.4 s instead of 0.9 s on 2 cores.
  out.intraOpNumThreads = options.intraOpThreads ?? availableParallelism();
  if (options.interOpThreads !== undefined) out.interOpNumThreads = options.interOpThreads;
  return out;
}

/** Runtime options from the bot's device settings (intraOpThreads 0 = one thread per core). */
export function runtimeOptionsFrom(s: {
  device: 'cpu' | 'cuda' | 'webgpu' | 'auto';
  cudaDeviceId: number;
  cpuFallback: boolean;
  intraOpThreads: number;
}): RuntimeOptions {
  return {
    device: s.device,
    deviceId: s.cudaDeviceId,
    fallbackToCpu: s.cpuFallback,
    ...(s.intraOpThreads > 0 ? { intraOpThreads: s.intraOpThreads } : {}),
  };
}

/** The device sessions would be created on with these options (the first choice; session creation may still fall back), without creating any. */
export function plannedDevice(options: RuntimeOptions = {}): DeviceInfo {
  const requested = options.device ?? 'cpu';
  try {
    const c = chooseProviders(options, options.probes);
    return {
      requested,
      device: c.device,
      ...(c.adapter ? { adapter: c.adapter } : {}),
      ...(c.reason ? { reason: c.reason } : {}),
    };
  } catch (err) {
    return { requested, device: 'cpu', reason: `cannot start: ${(err as Error).message}` };
  }
}

/** One line for people: "webgpu (NVIDIA H200 ...)", "cpu (auto: no CUDA ...)". */
export function deviceText(d: DeviceInfo): string {
  const detail = [d.adapter, d.reason].filter(Boolean).join('; ');
  return `${d.device}${d.requested !== d.device ? ` (asked: ${d.requested})` : ''}${detail ? ` — ${detail}` : ''}`;
}
