// Every sampler's plan (its set_timesteps) with every spacing: at least one model call per requested
// step, timesteps inside the schedule, levels that only fall, and the loop calling the model once per
// planned step; step counts a sampler cannot run are refused with the reason.
import { describe, expect, it } from 'vitest';
import { conditional } from '../../src/diffusion/guidance.ts';
import { sampleLoop } from '../../src/diffusion/loop.ts';
import { createRng } from '../../src/diffusion/rng.ts';
import { createSampler, SAMPLER_NAMES } from '../../src/diffusion/samplers/registry.ts';

/** The samplers of VP (DDPM-family) models; flow-euler runs flow-matching models only. */
const VP_SAMPLERS = SAMPLER_NAMES.filter((n) => n !== 'flow-euler');
import { makeSchedule } from '../../src/diffusion/schedule.ts';
import { cond } from './helpers.ts';

const SD = { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, num_train_timesteps: 1000, clip_sample: false, skip_prk_steps: true };
const SPACINGS = [
  { timestep_spacing: 'leading', steps_offset: 0 },
  { timestep_spacing: 'leading', steps_offset: 1 },
  { timestep_spacing: 'trailing' },
  { timestep_spacing: 'linspace' },
  { timestep_spacing: 'strided' },
];
const schedule = makeSchedule(SD);

describe.each(VP_SAMPLERS)('%s', (name) => {
  it.each(SPACINGS.map((s) => [JSON.stringify(s), s] as const))('plans every step count with %s', async (_label, spacing) => {
    const sampler = createSampler(name, { ...SD, ...spacing });
    for (const steps of [1, 2, 4, 12, 50]) {
      const plan = sampler.plan(steps, schedule);
      expect(plan.steps.length).toBeGreaterThanOrEqual(steps);
      expect(plan.steps.length).toBeLessThanOrEqual(steps + 1);
      for (const s of plan.steps) {
        expect(s.t).toBeGreaterThanOrEqual(0);
        expect(s.t).toBeLessThanOrEqual(999);
        expect(s.to.sigma).toBeLessThanOrEqual(s.at.sigma + 1e-12);
      }
      let calls = 0;
      const out = await sampleLoop({
        x: createRng(1).normal(12),
        plan,
        sampler,
        estimator: conditional(cond(0)),
        denoiser: async (_t, batch) => {
          calls++;
          return batch.map((r) => ({ eps: r.x.map((v) => 0.5 * v) }));
        },
        rng: createRng(2),
      });
      expect(calls).toBe(plan.steps.length);
      expect(out.every(Number.isFinite)).toBe(true);
    }
  });
});

describe('step counts a sampler cannot run', () => {
  it('PNDM with Runge-Kutta warm-up needs 4 steps; LCM at most original_inference_steps; steps_offset must stay inside', () => {
    const prk = createSampler('pndm', { ...SD, skip_prk_steps: false });
    expect(() => prk.plan(3, schedule)).toThrow(/at least 4 steps/);
    expect(prk.plan(4, schedule).steps).toHaveLength(12 + 1);
    expect(() => createSampler('lcm', SD).plan(51, schedule)).toThrow(/1\.\.50 steps/);
    expect(() => createSampler('ddim', { ...SD, steps_offset: 30 }).plan(50, schedule)).toThrow(/timestep 1010 is outside 0\.\.999/);
  });

  it('refuses a key of the class with a value it does not run, and an unknown sampler', () => {
    expect(() => createSampler('euler', { _class_name: 'EulerDiscreteScheduler', timestep_type: 'continuous' })).toThrow(
      /EulerDiscreteScheduler: timestep_type = "continuous"/,
    );
    expect(() => createSampler('heun', {})).toThrow(/unknown sampler "heun"/);
  });
});

describe("a job's sampler takes the model's config as diffusers' from_config does", () => {
  it("SD 1.5's PNDM config run with dpmpp-2m keeps leading + offset 1 and clip_sample false", () => {
    const sd15 = { _class_name: 'PNDMScheduler', ...SD, steps_offset: 1 };
    const s = createSampler('dpmpp-2m', sd15);
    expect(s.config.settings.timestep_spacing).toBe('leading');
    expect(s.plan(4, schedule).steps.map((p) => p.t)).toEqual([801, 601, 401, 201]);
    const d = createSampler('ddim', sd15);
    expect(d.config.settings.clip_sample).toBe(false);
    expect(d.config.settings.set_alpha_to_one).toBe(false);
    // A config without a class: each class's own default spacing (DPM-Solver: linspace).
    expect(createSampler('dpmpp-2m', SD).plan(4, schedule).steps.map((p) => p.t)).toEqual([999, 749, 500, 250]);
  });
});
