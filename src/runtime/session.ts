// ONNX sessions: creation on the chosen execution provider, metadata checks, timed runs.
import { existsSync } from 'node:fs';
import { InferenceSession, type Tensor } from 'onnxruntime-node';
import { ModelError } from './errors.ts';
import { chooseProviders, sessionOptions, type CudaAvailability, type RuntimeOptions } from './providers.ts';

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
  readonly device: 'cpu' | 'cuda';
  /** Set when CUDA was requested and the CPU is used instead. */
  readonly fallbackReason?: string;
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

/** Create a session for an .onnx file on the providers chosen from `options` (CPU fallback only when allowed). */
export async function createSession(
  file: string,
  options: RuntimeOptions = {},
  availability?: () => CudaAvailability,
): Promise<ModelSession> {
  if (!existsSync(file)) throw new ModelError('model-io', `Model file not found: ${file}`);
  let choice = chooseProviders(options, availability);
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(file, sessionOptions(options, choice.executionProviders));
  } catch (err) {
    const message = (err as Error).message;
    if (choice.device === 'cuda') {
      const reason = `CUDA session creation failed for ${file} (device ${options.deviceId ?? 0}): ${message}`;
      if (!options.fallbackToCpu) throw new ModelError('provider-unavailable', reason, { cause: err });
      choice = { device: 'cpu', executionProviders: ['cpu'], fallbackReason: reason };
      session = await InferenceSession.create(file, sessionOptions(options, choice.executionProviders));
    } else {
      throw new ModelError('model-io', `Cannot load ONNX model ${file}: ${message}`, { cause: err });
    }
  }
  const inputs = metadataMap(file, session.inputMetadata);
  const outputs = metadataMap(file, session.outputMetadata);
  let elapsed = 0;
  return {
    file,
    device: choice.device,
    fallbackReason: choice.fallbackReason,
    inputs,
    outputs,
    async run(feeds, fetches) {
      const start = performance.now();
      try {
        return fetches ? await session.run(feeds, [...fetches]) : await session.run(feeds);
      } finally {
        elapsed += performance.now() - start;
      }
    },
    timeMs: () => elapsed,
    dispose: () => session.release(),
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
