// The scheduler_config.json files real models publish (SD 1.5, SD 2.1-v, SD-Turbo, an LCM model, SD3's
// flow matching), mapped as `models pull` maps them: the class's sampler, diffusers' timesteps for it,
// the keys the class does not take reported, and a key value this project does not run refused by name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configForClass } from '../../src/diffusion/samplers/config.ts';
import { createSampler } from '../../src/diffusion/samplers/registry.ts';
import { makeSchedule } from '../../src/diffusion/schedule.ts';
import { schedulerFromConfig } from '../../src/runtime/latent/diffusers.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'schedulers');
const load = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Record<string, unknown>;

function planned(name: string, steps: number) {
  const { scheduler, sampler } = schedulerFromConfig(load(name), name);
  const s = createSampler(sampler, scheduler);
  const plan = s.plan(steps, makeSchedule(s.config.settings));
  return { sampler, plan, ts: plan.steps.map((p) => p.t), ignored: s.config.ignored };
}

describe('published scheduler configs', () => {
  it('SD 1.5 (PNDMScheduler, skip_prk_steps, leading + offset 1): pndm, 981 twice, then down to 1', () => {
    const { sampler, plan, ts, ignored } = planned('sd-1-5', 50);
    expect(sampler).toBe('pndm');
    expect(ts.slice(0, 4)).toEqual([981, 961, 961, 941]);
    expect(ts).toHaveLength(51);
    expect(ts[50]).toBe(1);
    // set_alpha_to_one false: the last step lands on abar_0, not on the clean sample.
    const abar0 = makeSchedule(load('sd-1-5')).alphasCumprod[0];
    expect(plan.steps[50].to.alpha ** 2).toBeCloseTo(abar0, 12);
    expect(ignored.sort()).toEqual(['clip_sample', 'clip_sample_range', 'dynamic_thresholding_ratio', 'sample_max_value', 'thresholding']);
  });

  it('SD 2.1 (DDIMScheduler, v_prediction): ddim from 981, x0 not clipped, v read by the loop', () => {
    const { sampler, plan, ts, ignored } = planned('sd-2-1-v', 50);
    expect(sampler).toBe('ddim');
    expect([ts[0], ts[49]]).toEqual([981, 1]);
    expect(plan.x0).toEqual({});
    expect(configForClass(load('sd-2-1-v'), 'DDIMScheduler').settings.prediction_type).toBe('v_prediction');
    expect(ignored).toEqual(['skip_prk_steps']);
  });

  it('SD-Turbo (EulerDiscreteScheduler, trailing): euler; one step evaluates the model once, at t = 999, and lands clean', () => {
    const one = planned('sd-turbo', 1);
    expect(one.sampler).toBe('euler');
    expect(one.ts).toEqual([999]);
    expect(one.plan.steps[0].to).toMatchObject({ alpha: 1, sigma: 0 });
    // init_noise_sigma = sigma_max for trailing: in VP form the start noise is sigma_max / sqrt(sigma_max^2 + 1) of unit noise.
    const sMax = Math.sqrt(1 / makeSchedule(load('sd-turbo')).alphasCumprod[999] - 1);
    expect(one.plan.noiseScale).toBeCloseTo(sMax / Math.sqrt(sMax * sMax + 1), 6);
    expect(planned('sd-turbo', 4).ts).toEqual([999, 749, 499, 249]);
  });

  it("an LCM model (LCMScheduler): lcm on the distillation's skip-step timesteps", () => {
    const { sampler, ts, ignored } = planned('lcm', 4);
    expect(sampler).toBe('lcm');
    expect(ts).toEqual([999, 759, 499, 259]);
    expect(planned('lcm', 1).ts).toEqual([999]);
    expect(ignored).toContain('use_karras_sigmas');
  });

  it('SD3 flow matching (FlowMatchEulerDiscreteScheduler, shift 3): flow-euler from t = 1000 (sigma 1), the velocity read, landing on sigma 0', () => {
    const { scheduler, sampler } = schedulerFromConfig(load('sd3-flow'), 'sd3');
    expect(sampler).toBe('flow-euler');
    // As published: no betas are made up for a class that has none.
    expect(scheduler).toEqual({ ...load('sd3-flow') });
    const { plan, ts, ignored } = planned('sd3-flow', 28);
    expect(ignored).toEqual([]);
    expect(plan.prediction).toBe('flow_prediction');
    expect(ts).toHaveLength(28);
    expect(ts[0]).toBeCloseTo(1000, 3);
    // t = sigma x 1000 with sigma = 3 u / (1 + 2 u), u = linspace(1, 0.002994, 28): u_1 = 0.9630739, sigma_1 = 0.9873806.
    expect(ts[1]).toBeCloseTo(987.3806, 2);
    expect(plan.steps[1].at.sigma).toBeCloseTo(ts[1] / 1000, 6);
    expect(plan.steps[27].to).toEqual({ alpha: 1, sigma: 0 });
    expect(planned('sd3-flow', 1).ts).toEqual([1000]);
  });

  it('a key of the class with a value this project does not run is refused by name', () => {
    expect(() => schedulerFromConfig({ ...load('sd-turbo'), interpolation_type: 'log_linear' }, 'x')).toThrow(
      /interpolation_type = "log_linear"/,
    );
    expect(() =>
      schedulerFromConfig({ _class_name: 'DPMSolverMultistepScheduler', solver_order: 3, algorithm_type: 'sde-dpmsolver++' }, 'x'),
    ).toThrow(/solver_order = 3.*algorithm_type = "sde-dpmsolver\+\+"/);
  });
});
