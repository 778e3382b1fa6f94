import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SPEC_LIMITS,
  parseJobSpec,
  regenerate,
  type JobSpec,
} from '../../src/jobs/spec.ts';
import { describeSpec } from '../../src/jobs/spec-describe.ts';

const REF = 'a'.repeat(64);

function ok(input: unknown, limits = DEFAULT_SPEC_LIMITS): JobSpec {
  const r = parseJobSpec(input, limits);
  if (!r.ok) throw new Error(r.message);
  return r.spec;
}

function message(input: unknown, limits = DEFAULT_SPEC_LIMITS): string {
  const r = parseJobSpec(input, limits);
  if (r.ok) throw new Error('expected a refusal');
  return r.message;
}

describe('job spec', () => {
  it('keeps what the user gave: no model defaults, and drops fields that do not apply', () => {
    const s = ok({
      technique: 'imagine',
      prompt: '  a   red rocket ',
      seed: 42,
      view: 'flip',
      image: REF,
      t: [5],
    });
    expect(s).toEqual({ technique: 'imagine', prompt: 'a red rocket', seed: 42 });
  });

  it('fills per-technique defaults', () => {
    const sketch = ok({ technique: 'sketch', image: REF, seed: 1 });
    expect(sketch).toMatchObject({ image: REF, prompt: '' });
    expect(sketch).not.toHaveProperty('noiseLevel'); // depends on the model's steps: resolved by the engine
    expect(ok({ technique: 'anagram', prompt: 'cat', prompt2: 'dog', seed: 1 })).toMatchObject({
      view: 'flip',
    });
    expect(ok({ technique: 'hybrid', prompt: 'cat', prompt2: 'dog', seed: 1 }).hybrid).toEqual({
      sigma: 2,
      kernel: 33,
    });
    expect(ok({ technique: 'noise', image: REF, seed: 1, t: [750, 250, 500, 250] }).t).toEqual([
      250, 500, 750,
    ]);
    expect(ok({ technique: 'noise', image: REF, seed: 1 }).t).toEqual([250, 500, 750]);
    expect(ok({ technique: 'denoise', image: REF, seed: 1 })).toMatchObject({ t: [500], method: 'all' });
  });

  it('picks a uint32 seed when none is given', () => {
    const seeds = new Set(Array.from({ length: 20 }, () => ok({ technique: 'imagine', prompt: 'x' }).seed));
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s <= 0xffffffff).toBe(true);
    expect(seeds.size).toBeGreaterThan(1);
  });

  it('requires what each technique needs, in words a chat user understands', () => {
    expect(message({ technique: 'imagine' })).toBe('Imagine needs a prompt.');
    expect(message({ technique: 'imagine', prompt: '   ' })).toBe('Imagine needs a prompt.');
    expect(message({ technique: 'sketch', prompt: 'x' })).toBe('Sketch needs an image (attach one).');
    expect(message({ technique: 'inpaint', image: REF })).toBe('Inpaint needs a prompt.');
    expect(message({ technique: 'anagram', prompt: 'cat' })).toBe('Anagram needs a second prompt.');
    expect(message({ technique: 'hybrid', prompt2: 'dog' })).toBe('Hybrid needs a prompt.');
    expect(message({ technique: 'denoise', image: REF, t: [100, 200] })).toBe(
      'Denoise takes one timestep t.',
    );
  });

  it('checks numbers against the limits', () => {
    const limits = { ...DEFAULT_SPEC_LIMITS, maxSteps: 50 };
    expect(message({ technique: 'imagine', prompt: 'x', steps: 51 }, limits)).toBe(
      'Steps must be at most 50.',
    );
    expect(message({ technique: 'imagine', prompt: 'x', steps: 2.5 })).toBe('Steps must be a whole number.');
    expect(message({ technique: 'imagine', prompt: 'x', steps: '20' })).toBe('Steps must be a number.');
    expect(message({ technique: 'imagine', prompt: 'x', seed: -1 })).toBe('Seed must be at least 0.');
    expect(message({ technique: 'imagine', prompt: 'x', seed: 2 ** 32 })).toBe(
      'Seed must be at most 4294967295.',
    );
    expect(message({ technique: 'imagine', prompt: 'x', guidance: 31 })).toBe('Guidance must be at most 30.');
    expect(message({ technique: 'imagine', prompt: 'x'.repeat(501) })).toBe(
      'Prompt is too long: 501 characters (at most 500).',
    );
    expect(message({ technique: 'sketch', image: REF, steps: 10, noiseLevel: 10 })).toBe(
      'Noise level must be below the step count (10).',
    );
    expect(message({ technique: 'noise', image: REF, t: [0] })).toBe('T must be at least 1.');
    expect(message({ technique: 'noise', image: REF, t: [1, 2, 3, 4, 5, 6, 7, 8, 9] })).toBe(
      'Give at most 8 timesteps.',
    );
    expect(message({ technique: 'hybrid', prompt: 'a', prompt2: 'b', hybrid: { kernel: 4 } })).toBe(
      'Kernel must be an odd number.',
    );
  });

  it('rejects unknown techniques, views, methods and malformed references', () => {
    expect(message({ technique: 'paint', prompt: 'x' })).toMatch(
      /^Technique must be one of imagine, sketch, inpaint/,
    );
    expect(message({ technique: 'anagram', prompt: 'a', prompt2: 'b', view: 'sideways' })).toMatch(
      /^Unknown view; use one of identity, flip/,
    );
    expect(message({ technique: 'imagine', prompt: 'x', sampler: 'plms' })).toBe(
      'Sampler must be one of ddpm, ddim, ddim-eta1, dpmpp-2m, dpmpp-2m-karras, euler-a, pndm, euler, lcm, flow-euler.',
    );
    expect(message({ technique: 'denoise', image: REF, method: 'magic' })).toBe(
      'Method must be one of blur, one-step, iterative, all.',
    );
    expect(message({ technique: 'sketch', image: '../../etc/passwd' })).toBe(
      'Image is not a stored upload (attach the image again).',
    );
    expect(message({ technique: 'imagine', prompt: 'x', model: '../secret' })).toMatch(
      /^Model must be a model name/,
    );
  });

  it('regenerate keeps the spec and changes only the seed', () => {
    const s = ok({
      technique: 'anagram',
      prompt: 'cat',
      prompt2: 'dog',
      seed: 5,
      view: 'rotate180',
      steps: 20,
    });
    const r = regenerate(s, 6);
    expect(r).toEqual({ ...s, seed: 6 });
    expect(s.seed).toBe(5);
    expect(() => regenerate(s, -1)).toThrow(RangeError);
    expect(regenerate(s).seed).not.toBeUndefined();
  });

  it('describes specs in one line', () => {
    expect(describeSpec(ok({ technique: 'hybrid', prompt: 'cat', prompt2: 'dog', seed: 1 }))).toBe(
      'hybrid far "cat", near "dog"',
    );
    expect(describeSpec(ok({ technique: 'denoise', image: REF, t: [690], method: 'blur', seed: 1 }))).toBe(
      'denoise t=690 (blur)',
    );
  });
});
