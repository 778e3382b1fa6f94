// Runs in the inference process and the CLI.
// ONNX sessions: creation on the chosen execution provider, metadata checks, timed runs.
import { existsSync } from 'node:fs';
import { InferenceSession, type Tensor } from 'onnxruntime-node';
import { ModelError } from './errors.ts';
import { checkModelFile, cudaOnlyRefusal, missingKernelMessage } from './model-file-checks.ts';
import {
  chooseProviders,
  sessionOptions,
  type CudaAvailability,
  type Device,
  type DeviceInfo,
  type ProviderChoice,
  type RuntimeOptions,
} from './providers.ts';
import { hideSoftwareDrivers } from './webgpu.ts';

/** What a caller expects of one model input or output. `dims` uses null for a free axis (e.g. batch). */
export interface TensorExpectation {
  name: string;
  /** What the tensor is, for messages (e.g. "unet.inputs.sample"). */
  role: string;
  /** Accepted element types; unchecked when absent. */
  types?: readonly Tensor.Type[];
  /** Accepted ranks; unchecked when absent. */
  ranks?: readonly number[];
  /** Expected sizes per axis (null: any); checked only where the model declares a fixed size. */
  dims?: readonly (number | null)[];
}

/** Tensor metadata as ORT reports it; `shape` holds numbers (fixed) or strings (symbolic). */
export interface TensorInfo {
  name: string;
  type: Tensor.Type;
  shape: readonly (number | string)[];
}

/** One ONNX session with its file, device and I/O metadata. */
export interface ModelSession {
  readonly file: string;
  readonly device: Device;
  /** Set when the device asked for (CUDA, WebGPU, or auto's GPU) is not used and the CPU is. */
  readonly fallbackReason?: string;
  /** Device asked for and used, the WebGPU adapter, and why. */
  readonly deviceInfo: DeviceInfo;
  readonly inputs: ReadonlyMap<string, TensorInfo>;
  readonly outputs: ReadonlyMap<string, TensorInfo>;
  /** session.run, timed; the time is added to timeMs(). */
  run(feeds: Record<string, Tensor>, fetches?: readonly string[]): Promise<InferenceSession.ReturnType>;
  /** Wall time spent inside session.run, in milliseconds. */
  timeMs(): number;
  dispose(): Promise<void>;
}

function metadataMap(file: string, list: readonly InferenceSession.ValueMetadata[]): Map<string, TensorInfo> {
  const map = new Map<string, TensorInfo>();
  for (const m of list) {
    if (!m.isTensor)
      throw new ModelError(
        'model-io',
        `${file}: "${m.name}" is not a tensor; only tensor inputs and outputs are supported`,
      );
    map.set(m.name, { name: m.name, type: m.type, shape: m.shape });
  }
  return map;
}

const DEVICE_NAMES: Record<Device, string> = { cpu: 'CPU', cuda: 'CUDA', webgpu: 'WebGPU' };

/**
 * Create a session from an .onnx file's path (never from a buffer: external data files are found next
 * to it) on the providers chosen from `options`; when it fails on a device, the choice's fallbacks are
 * tried in order (auto; CPU fallback only when allowed). A missing or truncated external data file,
 * and a CPU for a model with CUDA-only operators, are refused before onnxruntime reads the model.
 */
export async function createSession(
  file: string,
  options: RuntimeOptions = {},
  availability?: () => CudaAvailability,
): Promise<ModelSession> {
  if (!existsSync(file)) throw new ModelError('model-io', `Model file not found: ${file}`);
  const first = chooseProviders(options, {
    ...options.probes,
    ...(availability ? { cuda: availability } : {}),
  });
  const { cudaOnly } = checkModelFile(file);
  const all: ProviderChoice[] = [first, ...first.fallbacks];
  // The CPU provider lacks CUDA-only operators: such a model is not tried there (WebGPU is tried; it may have them).
  const queue = cudaOnly.length > 0 ? all.filter((c) => c.device !== 'cpu') : all;
  if (queue.length === 0)
    throw new ModelError(
      'provider-unavailable',
      cudaOnlyRefusal(
        file,
        cudaOnly,
        all.map((c) => c.device),
      ),
    );
  let choice = first;
  let session: InferenceSession | undefined;
  const failures: string[] = [];
  for (let i = 0; i < queue.length && !session; i++) {
    choice = queue[i];
    if (failures.length > 0) {
      const reason = [...failures, choice.reason].filter(Boolean).join('; ');
      choice = { ...choice, reason, ...(choice.device === 'cpu' ? { fallbackReason: reason } : {}) };
    }
    if (choice.hideDrivers) hideSoftwareDrivers(choice.hideDrivers);
    try {
      session = await InferenceSession.create(file, sessionOptions(options, choice.executionProviders));
    } catch (err) {
      const message = (err as Error).message;
      const kernel = missingKernelMessage(file, message, choice.device);
      if (choice.device === 'cpu') {
        if (kernel) throw new ModelError('provider-unavailable', kernel, { cause: err });
        throw new ModelError('model-io', `Cannot load ONNX model ${file}: ${message}`, { cause: err });
      }
      if (cudaOnly.length > 0 && i === queue.length - 1 && choice.device !== 'cuda')
        throw new ModelError(
          'provider-unavailable',
          cudaOnlyRefusal(
            file,
            cudaOnly,
            all.map((c) => c.device),
          ),
          { cause: err },
        );
      const where =
        choice.device === 'cuda'
          ? ` (device ${options.deviceId ?? 0})`
          : choice.adapter
            ? ` (${choice.adapter})`
            : '';
      failures.push(
        `${DEVICE_NAMES[choice.device]} session creation failed for ${file}${where}: ${message.split('\n')[0]}`,
      );
      if (i === queue.length - 1)
        throw new ModelError('provider-unavailable', failures.join('; '), { cause: err });
    }
  }
  if (!session)
    throw new ModelError('provider-unavailable', failures.join('; ') || `No device could load ${file}`);
  const inputs = metadataMap(file, session.inputMetadata);
  const outputs = metadataMap(file, session.outputMetadata);
  const ready = session;
  let elapsed = 0;
  return {
    file,
    device: choice.device,
    fallbackReason: choice.fallbackReason,
    deviceInfo: {
      requested: choice.requested,
      device: choice.device,
      ...(choice.device === 'webgpu' && choice.adapter ? { adapter: choice.adapter } : {}),
      ...(choice.reason ? { reason: choice.reason } : {}),
    },
    inputs,
    outputs,
    async run(feeds, fetches) {
      const start = performance.now();
      try {
        return fetches ? await ready.run(feeds, [...fetches]) : await ready.run(feeds);
      } finally {
        elapsed += performance.now() - start;
      }
    },
    timeMs: () => elapsed,
    dispose: () => ready.release(),
  };
}

/** Check expected tensors against a session's metadata: names present, element types, ranks, fixed sizes. */
export function checkTensors(
  file: string,
  kind: 'input' | 'output',
  actual: ReadonlyMap<string, TensorInfo>,
  expected: readonly TensorExpectation[],
): void {
  const available = [...actual.keys()].map((n) => `"${n}"`).join(', ');
  for (const e of expected) {
    const info = actual.get(e.name);
    if (!info) {
      throw new ModelError(
        'model-io',
        `${file}: the manifest's ${e.role} names ${kind} "${e.name}", but the model has no such ${kind} (its ${kind}s: ${available})`,
      );
    }
    if (e.types && !e.types.includes(info.type)) {
      throw new ModelError(
        'model-io',
        `${file}: ${kind} "${e.name}" (${e.role}) has type ${info.type}, expected ${e.types.join(' or ')}`,
      );
    }
    // An empty shape means "not declared" for ORT unless rank 0 is acceptable; only check declared ranks.
    if (e.ranks && info.shape.length > 0 && !e.ranks.includes(info.shape.length)) {
      throw new ModelError(
        'model-io',
        `${file}: ${kind} "${e.name}" (${e.role}) has rank ${info.shape.length} [${info.shape.join(', ')}], expected rank ${e.ranks.join(' or ')}`,
      );
    }
    if (e.dims && info.shape.length === e.dims.length) {
      e.dims.forEach((want, axis) => {
        const got = info.shape[axis];
        if (want !== null && typeof got === 'number' && got >= 0 && got !== want) {
          throw new ModelError(
            'model-io',
            `${file}: ${kind} "${e.name}" (${e.role}) has size ${got} on axis ${axis} [${info.shape.join(', ')}], expected ${want}`,
          );
        }
      });
    }
  }
  if (kind === 'input') {
    const wanted = new Set(expected.map((e) => e.name));
    const extra = [...actual.keys()].filter((n) => !wanted.has(n));
    if (extra.length > 0) {
      throw new ModelError(
        'model-io',
        `${file}: the model needs input${extra.length > 1 ? 's' : ''} ${extra.map((n) => `"${n}"`).join(', ')} that the manifest does not map`,
      );
    }
  }
}

/** The fixed size of an axis, or undefined when it is symbolic/dynamic. */
export function fixedDim(info: TensorInfo, axis: number): number | undefined {
  const d = info.shape[axis];
  return typeof d === 'number' && d > 0 ? d : undefined;
}
