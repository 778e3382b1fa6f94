// Runs in the inference process and the CLI.
// Float tensors in the element type a session declares (float32 or float16), and float outputs read back as float32.
import { Tensor } from 'onnxruntime-node';
import { ModelError } from './errors.ts';
import { float16ToFloat32, float32ToFloat16 } from './float16.ts';
import type { ModelSession } from './session.ts';

/** The float element type of a session input or output ('float32' unless it declares float16). */
export function floatTypeOf(
  session: ModelSession,
  name: string,
  kind: 'input' | 'output',
): 'float32' | 'float16' {
  const info = (kind === 'input' ? session.inputs : session.outputs).get(name);
  if (!info) {
    const list = [...(kind === 'input' ? session.inputs : session.outputs).keys()]
      .map((n) => `"${n}"`)
      .join(', ');
    throw new ModelError('model-io', `${session.file}: no ${kind} "${name}" (its ${kind}s: ${list})`);
  }
  if (info.type !== 'float32' && info.type !== 'float16') {
    throw new ModelError(
      'model-io',
      `${session.file}: ${kind} "${name}" has type ${info.type}, expected float32 or float16`,
    );
  }
  return info.type;
}

/** A float tensor of the given element type (float16 values are converted from float32). */
export function floatTensor(
  data: Float32Array,
  dims: readonly number[],
  type: 'float32' | 'float16',
): Tensor {
  return type === 'float16'
    ? new Tensor('float16', float32ToFloat16(data), dims)
    : new Tensor('float32', data, dims);
}

/** Run a session and return one float output as float32 with its dims; checks the value count. */
export async function runFloat(
  session: ModelSession,
  feeds: Record<string, Tensor>,
  output: string,
  expectSize?: number,
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const results = await session.run(feeds, [output]);
  const out = results[output] as Tensor | undefined;
  if (!out) throw new ModelError('model-io', `${session.file}: session.run returned no output "${output}"`);
  const data =
    out.type === 'float16'
      ? float16ToFloat32(out.data as Uint16Array)
      : out.type === 'float32'
        ? (out.data as Float32Array)
        : undefined;
  if (!data || (expectSize !== undefined && data.length !== expectSize)) {
    throw new ModelError(
      'model-io',
      `${session.file}: output "${output}" has type ${out.type} and dims [${out.dims.join(', ')}]${expectSize !== undefined ? `, expected ${expectSize} float values` : ''}`,
    );
  }
  return { data, dims: out.dims };
}
