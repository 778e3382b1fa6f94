// executeJob on the tiny model with a recording coarse prior: every sampling technique asks the
// model for each prompt's own prior (an anagram's two views, a hybrid's far and near prompts,
// inpainting with its mask, a sketch) and the recipe calls it; the negative prompt's concepts are
// left out as for text-to-image.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { X0Refiner } from '../../src/diffusion/coarse-prior.ts';
import { priorRegion } from '../../src/diffusion/recipes/inpaint.ts';
import { executeJob, type ExecuteContext } from '../../src/pipeline/execute.ts';
import { parseJobSpec, type JobSpec } from '../../src/jobs/spec.ts';
import { loadModel, type LoadedModel } from '../../src/runtime/index.ts';
import type { UnderstoodConcept } from '../../src/runtime/types.ts';
import { MODELS_DIR } from './helpers.ts';

let model: LoadedModel;
let ctx: ExecuteContext;
/** Per coarsePrior call: the concepts asked for, whether a mask came with them, and how often its refiner ran. */
let asked: { labels: string[]; masked: boolean; runs: number }[] = [];
const n = 64 * 64;
const halfMask = new Float32Array(n).map((_, i) => (i % 64 < 32 ? 0 : 1));
const speck = new Float32Array(n).map((_, i) => (i === 0 ? 1 : 0));

function spec(input: Record<string, unknown>): JobSpec {
  const r = parseJobSpec({ seed: 5, steps: 4, ...input });
  if (!r.ok) throw new Error(r.message);
  return r.spec;
}

beforeAll(async () => {
  model = await loadModel('test-tiny', { modelsDir: MODELS_DIR });
  const image = new Float32Array(3 * n).map((_, i) => Math.sin(i / 50) * 0.8);
  ctx = {
    model: {
      ...model,
      coarsePrior: (understood: readonly UnderstoodConcept[], mask?: Float32Array): X0Refiner | undefined => {
        if (mask && !priorRegion(mask, model.sampleShape, 16)) return undefined; // the runtime's rule (src/runtime/coarse-prior.ts)
        const entry = { labels: understood.map((u) => u.label), masked: mask !== undefined, runs: 0 };
        asked.push(entry);
        return () => {
          entry.runs++;
          return false;
        };
      },
    },
    loadImage: async () => ({ image }),
    loadMask: async (ref) => (ref === 'd'.repeat(64) ? speck : halfMask),
  };
});
afterAll(async () => {
  await model.dispose();
});

describe('the coarse prior in every technique', () => {
  it('anagram: one prior per view, each for its own prompt, run at every step', async () => {
    asked = [];
    await executeJob(spec({ technique: 'anagram', prompt: 'rocket', prompt2: 'cat', view: 'rotate180' }), ctx);
    expect(asked.map((a) => a.labels)).toEqual([['🚀 rocket'], ['🐈 cat']]);
    expect(asked.map((a) => a.runs)).toEqual([4, 4]);
  });

  it('hybrid: the far and the near prompt each get their own', async () => {
    asked = [];
    await executeJob(spec({ technique: 'hybrid', prompt: 'rocket', prompt2: 'cat' }), ctx);
    expect(asked.map((a) => a.labels)).toEqual([['🚀 rocket'], ['🐈 cat']]);
    expect(asked.every((a) => a.runs === 4 && !a.masked)).toBe(true);
  });

  it('inpainting: the prompt\'s prior with the mask; none where the mask leaves no room', async () => {
    asked = [];
    await executeJob(spec({ technique: 'inpaint', prompt: 'rocket', image: 'c'.repeat(64), mask: 'e'.repeat(64) }), ctx);
    expect(asked).toEqual([{ labels: ['🚀 rocket'], masked: true, runs: 4 }]);
    asked = [];
    await executeJob(spec({ technique: 'inpaint', prompt: 'rocket', image: 'c'.repeat(64), mask: 'd'.repeat(64) }), ctx);
    expect(asked).toEqual([]);
  });

  it('sketch: the prompt\'s prior over the steps it runs; the negative prompt\'s concepts left out', async () => {
    asked = [];
    await executeJob(spec({ technique: 'sketch', prompt: 'rocket cat', negative: 'cat', image: 'c'.repeat(64), noiseLevel: 1 }), ctx);
    expect(asked.map((a) => a.labels)).toEqual([['🚀 rocket']]);
    expect(asked[0].runs).toBe(3);
  });
});
