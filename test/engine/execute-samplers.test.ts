// executeJob with a sampler on the tiny model: the sampler is resolved into the spec that ran, and
// every sampler selects its timesteps from the scheduler config (the project's strided list unless
// the config names a diffusers spacing or class).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeJob, type ExecuteContext } from '../../src/pipeline/execute.ts';
import { parseJobSpec, type JobSpec } from '../../src/jobs/spec.ts';
import { loadModel, type LoadedModel } from '../../src/runtime/index.ts';
import { MODELS_DIR } from './helpers.ts';

let model: LoadedModel;
let seen: number[] = [];

function spec(input: Record<string, unknown>): JobSpec {
  const r = parseJobSpec({ seed: 5, technique: 'imagine', prompt: 'rocket', ...input });
  if (!r.ok) throw new Error(r.message);
  return r.spec;
}

function ctx(
  scheduler: Record<string, unknown> = {},
  defaults: Record<string, unknown> = {},
): ExecuteContext {
  const m = model.manifest;
  return {
    model: {
      ...model,
      manifest: {
        ...m,
        scheduler: { ...m.scheduler, ...scheduler },
        defaults: { ...m.defaults, ...defaults },
      },
      denoiser: (t, batch, signal) => {
        seen.push(t);
        return model.denoiser(t, batch, signal);
      },
    },
    loadImage: async () => ({ image: new Float32Array(3 * 64 * 64) }),
    loadMask: async () => new Float32Array(64 * 64),
  };
}

beforeAll(async () => {
  model = await loadModel('test-tiny', { modelsDir: MODELS_DIR });
});
afterAll(async () => {
  await model.dispose();
});

describe('executeJob with samplers', () => {
  it("records the sampler that ran (the user's, else the model default, else ddpm)", async () => {
    expect((await executeJob(spec({ steps: 2, sampler: 'euler-a' }), ctx())).spec.sampler).toBe('euler-a');
    expect((await executeJob(spec({ steps: 2 }), ctx({}, { sampler: 'ddim' }))).spec.sampler).toBe('ddim');
    expect((await executeJob(spec({ steps: 2 }), ctx())).spec.sampler).toBe('ddpm');
  });

  it('every sampler selects its own timesteps from the scheduler config: strided (the project default) or diffusers\' spacing', async () => {
    const trailing = ctx({ timestep_spacing: 'trailing' });
    for (const sampler of ['ddpm', 'dpmpp-2m']) {
      seen = [];
      const r = await executeJob(spec({ steps: 4, guidance: 1, sampler }), trailing);
      expect(seen).toEqual([999, 749, 499, 249]);
      expect(r.timings.steps).toBe(4);
      seen = [];
      await executeJob(spec({ steps: 4, guidance: 1, sampler }), ctx());
      expect(seen).toEqual([996, 747, 498, 249]);
    }
  });

  it('a model that ships PNDMScheduler samples with PLMS: SD 1.5 spacing, its first timestep evaluated twice', async () => {
    const sd = ctx(
      { _class_name: 'PNDMScheduler', timestep_spacing: 'leading', steps_offset: 1, skip_prk_steps: true, clip_sample: false },
      { sampler: 'pndm' },
    );
    seen = [];
    const r = await executeJob(spec({ steps: 4, guidance: 1 }), sd);
    expect(r.spec.sampler).toBe('pndm');
    expect(seen).toEqual([751, 501, 501, 251, 1]);
    expect(r.timings.unetCalls).toBe(5);
  });

  it('a scheduler key the sampler cannot honour fails the job, naming the key', async () => {
    await expect(
      executeJob(spec({ steps: 2, sampler: 'dpmpp-2m' }), ctx({ _class_name: 'DPMSolverMultistepScheduler', solver_order: 3 })),
    ).rejects.toThrow(/solver_order = 3/);
  });
});
