// Sessions from files: a model whose weights live in an external data file loads and computes on the
// CPU (WebGPU: test/webgpu/external-data.test.ts, in child processes); a missing or truncated data file, and a CUDA-only
// contrib operator on the CPU, are refused with one line naming the file or the operator and CUDA.
// Fixtures: scripts/make-onnx-fixtures.py.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../src/runtime/errors.ts';
import { missingKernelMessage } from '../../src/runtime/model-file-checks.ts';
import { scanOnnxGraph } from '../../src/runtime/onnx-graph.ts';
import { createSession } from '../../src/runtime/session.ts';

const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const EXTERNAL = join(FIXTURES, 'external-data');
const CUDA_ONLY = join(FIXTURES, 'cuda-only', 'model.onnx');
const expected = (JSON.parse(readFileSync(join(EXTERNAL, 'expected.json'), 'utf8')) as { y: number[] }).y;
const scratch = mkdtempSync(join(tmpdir(), 'diffuse-extdata-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The fixture copied to a scratch folder, its data file given `bytes` (undefined: left out). */
function copyWith(name: string, bytes?: (data: Buffer) => Buffer): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(EXTERNAL, 'model.onnx'), join(dir, 'model.onnx'));
  if (bytes)
    writeFileSync(join(dir, 'model.onnx_data'), bytes(readFileSync(join(EXTERNAL, 'model.onnx_data'))));
  return join(dir, 'model.onnx');
}

async function computeWith(device: 'cpu'): Promise<{ y: Float32Array; device: string }> {
  const s = await createSession(join(EXTERNAL, 'model.onnx'), { device });
  try {
    const x = Float32Array.from({ length: 64 }, (_, i) => i / 64);
    const out = await s.run({ x: new Tensor('float32', x, [1, 64]) });
    return { y: out.y.data as Float32Array, device: s.device };
  } finally {
    await s.dispose();
  }
}

async function failure(p: Promise<unknown>): Promise<ModelError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ModelError) return e;
    throw e;
  }
  throw new Error('expected a ModelError');
}

describe('external data', () => {
  it('the graph scan names the data file and the bytes the model reads from it', () => {
    const scan = scanOnnxGraph(join(EXTERNAL, 'model.onnx'));
    expect([...scan.externalData]).toEqual([
      ['model.onnx_data', readFileSync(join(EXTERNAL, 'model.onnx_data')).length],
    ]);
    expect(scan.operators.map((o) => o.opType)).toEqual(['MatMul', 'Add']);
  });

  it('a model with its weights in model.onnx_data loads from its path on the CPU and computes x @ W + b', async () => {
    const { y, device } = await computeWith('cpu');
    expect(device).toBe('cpu');
    expect(y.length).toBe(64);
    for (let i = 0; i < 64; i++) expect(y[i]).toBeCloseTo(expected[i], 4);
  });

  it('a missing data file: one line naming it', async () => {
    const file = copyWith('missing');
    const e = await failure(createSession(file, { device: 'cpu' }));
    expect(e.message).toContain(join(scratch, 'missing', 'model.onnx_data'));
    expect(e.message).toMatch(/missing/);
    expect(e.message).not.toContain('\n');
  });

  it('a truncated data file: one line naming it, with its size and the size the model reads', async () => {
    const file = copyWith('truncated', (d) => d.subarray(0, 1000));
    const e = await failure(createSession(file, { device: 'cpu' }));
    expect(e.message).toContain(join(scratch, 'truncated', 'model.onnx_data'));
    expect(e.message).toMatch(/truncated: 1000 bytes, the model reads 16640/);
    expect(e.message).not.toContain('\n');
  });
});

describe('CUDA-only exports', () => {
  it('the scan finds the com.microsoft operator', () => {
    expect(scanOnnxGraph(CUDA_ONLY).operators).toEqual([{ domain: 'com.microsoft', opType: 'GroupNorm' }]);
  });

  it('a model with com.microsoft GroupNorm is refused on the CPU with one line naming the operator and CUDA', async () => {
    const e = await failure(createSession(CUDA_ONLY, { device: 'cpu' }));
    expect(e.code).toBe('provider-unavailable');
    expect(e.message).toContain('com.microsoft.GroupNorm');
    expect(e.message).toMatch(/only onnxruntime's CUDA provider has/);
    expect(e.message).toMatch(/cannot run on the CPU/);
    expect(e.message).not.toContain('\n');
  });

  it("onnxruntime's kernel-not-found failure for a float16 contrib operator is rewritten to name CUDA", () => {
    const m = missingKernelMessage(
      'unet/model.onnx',
      "Failed to find kernel for com.microsoft.MultiHeadAttention(1) (node:'Attention_0' ep:'CPUExecutionProvider'). Kernel not found",
      'cpu',
    );
    expect(m).toMatch(
      /com\.microsoft\.MultiHeadAttention, which the CPU has no kernel for in this precision \(float16\); onnxruntime's CUDA provider has it/,
    );
    expect(
      missingKernelMessage('m.onnx', 'Could not find an implementation for MyCustomOp(1) node', 'cpu'),
    ).toBeUndefined();
  });
});
