// Runs in the inference process and the CLI.
// Checks of an .onnx file before a session is created from it: its external data files are there
// and whole (one line naming the file otherwise), and the operators that only onnxruntime's CUDA
// provider implements (contrib operators of CUDA-optimized exports such as Olive's Stable Diffusion
// UNets: GroupNorm, BiasSplitGelu, NhwcConv, ...) are found, so that the CPU is refused with one line
// naming the operator and the device that has it instead of failing inside onnxruntime.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ModelError } from './errors.ts';
import { scanOnnxGraph, type GraphOperator, type OnnxGraphScan } from './onnx-graph.ts';
import type { Device } from './providers.ts';

/**
 * com.microsoft operators with a CUDA kernel and no CPU kernel in onnxruntime's operator table
 * (docs/OperatorKernels.md of onnxruntime: the CUDAExecutionProvider's com.microsoft domain less the
 * CPUExecutionProvider's).
 */
export const CUDA_ONLY_OPERATORS: ReadonlySet<string> = new Set([
  'BiasAdd',
  'BiasDropout',
  'BiasSoftmax',
  'BiasSplitGelu',
  'BitmaskBiasDropout',
  'BitmaskDropout',
  'ComplexMul',
  'ComplexMulConj',
  'DecoderAttention',
  'DecoderMaskedSelfAttention',
  'DequantizeWithOrder',
  'GatedRelativePositionBias',
  'GemmFloat8',
  'GemmaRotaryEmbedding',
  'GroupNorm',
  'Irfft',
  'LongformerAttention',
  'NhwcConv',
  'PackedAttention',
  'PackedMultiHeadAttention',
  'PagedAttention',
  'QOrderedAttention',
  'QOrderedGelu',
  'QOrderedLayerNormalization',
  'QOrderedLongformerAttention',
  'QOrderedMatMul',
  'QuantizeWithOrder',
  'RelativePositionBias',
  'RemovePadding',
  'RestorePadding',
  'Rfft',
  'SkipGroupNorm',
]);

/**
 * com.microsoft operators whose CPU kernel takes float32 only while CUDA's also takes float16: a
 * float16 export using them fails on the CPU (onnxruntime's "kernel not found" is then rewritten).
 */
const CUDA_FLOAT16_OPERATORS: ReadonlySet<string> = new Set([
  'Attention',
  'BeamSearch',
  'BiasGelu',
  'DecoderMaskedMultiHeadAttention',
  'EmbedLayerNormalization',
  'FastGelu',
  'FusedMatMul',
  'Gelu',
  'GreedySearch',
  'MultiHeadAttention',
  'QuickGelu',
  'Sampling',
]);

const CONTRIB = 'com.microsoft';
const DEVICE_NAMES: Record<Device, string> = { cpu: 'the CPU', cuda: 'CUDA', webgpu: 'WebGPU' };

/** What the file holds, checked: external data present and whole; CUDA-only operators listed. Throws a one-line ModelError naming a missing or truncated data file. */
export function checkModelFile(file: string): { scan?: OnnxGraphScan; cudaOnly: GraphOperator[] } {
  let scan: OnnxGraphScan;
  try {
    scan = scanOnnxGraph(file);
  } catch {
    return { cudaOnly: [] }; // not a protobuf this reader follows: onnxruntime reports it
  }
  for (const [location, need] of scan.externalData) {
    const path = resolve(dirname(file), location);
    if (!existsSync(path))
      throw new ModelError(
        'model-io',
        `${file}: its weights are in the external data file ${path}, which is missing (it must lie next to the model, as exported)`,
      );
    const size = statSync(path).size;
    if (size < need)
      throw new ModelError(
        'model-io',
        `${file}: the external data file ${path} is truncated: ${size} bytes, the model reads ${need} (download it again)`,
      );
  }
  const cudaOnly = scan.operators.filter((o) => o.domain === CONTRIB && CUDA_ONLY_OPERATORS.has(o.opType));
  return { scan, cudaOnly };
}

/** The one line refusing a device for a model with CUDA-only operators. */
export function cudaOnlyRefusal(
  file: string,
  ops: readonly GraphOperator[],
  devices: readonly Device[],
): string {
  const names = ops.map((o) => `${o.domain}.${o.opType}`);
  const where = [...new Set(devices)].map((d) => DEVICE_NAMES[d]).join(' or ');
  return `${file} uses ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}, ${names.length > 1 ? 'operators' : 'an operator'} that only onnxruntime's CUDA provider has (a CUDA-optimized export, e.g. Olive's), so it cannot run on ${where}: run it with --device cuda on an NVIDIA GPU, or use an export without contrib operators`;
}

/** onnxruntime's "no kernel" failure for a contrib operator CUDA has, as one line naming it; undefined for other failures. */
export function missingKernelMessage(file: string, message: string, device: Device): string | undefined {
  const m =
    /Failed to find kernel for (?:com\.microsoft\.)?(\w+)\(/.exec(message) ??
    /Could not find an implementation for (\w+)\(/.exec(message);
  if (!m) return undefined;
  const op = m[1];
  if (!CUDA_ONLY_OPERATORS.has(op) && !CUDA_FLOAT16_OPERATORS.has(op)) return undefined;
  const kind = CUDA_ONLY_OPERATORS.has(op) ? '' : ' in this precision (float16)';
  return `${file} uses ${CONTRIB}.${op}, which ${DEVICE_NAMES[device]} has no kernel for${kind}; onnxruntime's CUDA provider has it: run it with --device cuda on an NVIDIA GPU, or use a float32 export without contrib operators`;
}
