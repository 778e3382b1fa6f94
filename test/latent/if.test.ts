// IF-style pixel models: a UNet with learned variance conditioned on precomputed prompt embeddings
// looked up in a prompt -> embedding file (the test model's UNet takes 16-dim embeddings; the
// lookup is dimension-agnostic and is also checked at T5 size, [77, 4096]).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeJob } from '../../src/pipeline/execute.ts';
import { parseJobSpec } from '../../src/jobs/spec.ts';
import { float32ToFloat16 } from '../../src/runtime/float16.ts';
import { PrecomputedEncoder } from '../../src/runtime/if/precomputed.ts';
import { loadModel, ModelError, type LoadedModel } from '../../src/runtime/index.ts';
import { counting, MODELS_DIR } from './helpers.ts';

const PROMPTS = ['', 'an oil painting of a snowy mountain village', 'a photo of a hipster barista'];
let root: string;
let model: LoadedModel;

function embedding(row: number, size: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => Math.sin(row * 7 + i * 0.3));
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'diffuse-if-'));
  const dir = join(root, 'tiny-if');
  cpSync(join(MODELS_DIR, 'test-tiny-learned'), dir, { recursive: true });
  const m = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
  m.name = 'tiny-if';
  m.family = 'if';
  m.prompt = {
    encoder: 'precomputed',
    index: 'prompt_embeds.json',
    data: 'prompt_embeds.bin',
    dtype: 'float16',
    dims: [16],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(m));
  writeFileSync(join(dir, 'prompt_embeds.json'), JSON.stringify({ prompts: PROMPTS }));
  const data = new Float32Array(PROMPTS.length * 16);
  PROMPTS.forEach((_, r) => data.set(embedding(r, 16), r * 16));
  writeFileSync(join(dir, 'prompt_embeds.bin'), Buffer.from(float32ToFloat16(data).buffer));
  model = await loadModel(dir);
});
afterAll(async () => {
  await model.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('IF-style model with precomputed embeddings', () => {
  it('loads as a pixel-space model with learned variance and looks prompts up (whitespace and case tolerant)', async () => {
    expect(model.manifest.family).toBe('if');
    expect(model.learnedVariance).toBe(true);
    expect(model.sampleShape).toEqual(model.imageShape);
    const e = await model.encodePrompt('  An oil painting of a  snowy mountain village ');
    expect(e.cond.dims).toEqual([16]);
    for (let i = 0; i < 16; i++) expect(e.cond.data[i]).toBeCloseTo(embedding(1, 16)[i], 2);
    expect(e.understood.map((u) => u.label)).toEqual(['An oil painting of a snowy mountain village']);
  });

  it('runs CFG with the stored empty-prompt embedding as the unconditional input', async () => {
    const { model: m, batches } = counting(model);
    const spec = parseJobSpec({ technique: 'imagine', prompt: PROMPTS[2], seed: 1, steps: 3 });
    if (!spec.ok) throw new Error(spec.message);
    const r = await executeJob(spec.spec, {
      model: m,
      loadImage: async () => {
        throw new Error('no');
      },
      loadMask: async () => new Float32Array(0),
    });
    expect(batches).toEqual([2, 2, 2]);
    expect(r.finalImage.every(Number.isFinite)).toBe(true);
  });

  it('a prompt that is not in the file is a bad request that lists the available prompts', async () => {
    const err = await model.encodePrompt('a rocket ship').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).code).toBe('bad-request');
    expect((err as Error).message).toContain('"a rocket ship" is not one of them');
    expect((err as Error).message).toContain(
      '"an oil painting of a snowy mountain village", "a photo of a hipster barista"',
    );
  });
});

describe('PrecomputedEncoder at T5 size', () => {
  it('returns the [77, 4096] record of each prompt and refuses a data file of the wrong size', () => {
    const size = 77 * 4096;
    const data = new Float32Array(2 * size);
    data.fill(0.25, 0, size);
    data.fill(-0.5, size);
    const enc = new PrecomputedEncoder(['a cat', ''], data, [77, 4096]);
    const cat = enc.encode('a cat');
    expect(cat.cond.dims).toEqual([77, 4096]);
    expect(cat.cond.data).toHaveLength(size);
    expect(cat.cond.data[size - 1]).toBe(0.25);
    expect(enc.encode('').cond.data[0]).toBe(-0.5);
    expect(() => enc.encode('a dog')).toThrow(/Available prompts: "a cat"/);
    expect(() => new PrecomputedEncoder(['a cat'], data, [77, 4096])).toThrow(/need 315392 values/);
  });
});
