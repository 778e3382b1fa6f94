import { describe, expect, it } from 'vitest';
import {
  STUDY_NOISE_LEVELS,
  makeSchedule,
  nearestTimestepIndex,
  spacedTimesteps,
  stridedTimesteps,
  timestepAtIndex,
} from '../../src/diffusion/schedule.ts';

describe('makeSchedule', () => {
  it('cosine (squaredcos_cap_v2) matches the study golden values', () => {
    const s = makeSchedule({
      beta_schedule: 'squaredcos_cap_v2',
      num_train_timesteps: 1000,
      variance_type: 'learned_range',
    });
    expect(s.numTrainTimesteps).toBe(1000);
    expect(Math.abs(s.alphasCumprod[250] - 0.8459)).toBeLessThan(1e-3);
    expect(Math.abs(s.alphasCumprod[500] - 0.4923)).toBeLessThan(1e-3);
    expect(Math.abs(s.alphasCumprod[690] - 0.2145)).toBeLessThan(1e-3);
    expect(Math.abs(s.alphasCumprod[750] - 0.1432)).toBeLessThan(1e-3);
    expect(Math.max(...s.betas)).toBeLessThanOrEqual(0.999);
    expect(s.betas[999]).toBe(0.999);
    for (let t = 1; t < 1000; t++) expect(s.alphasCumprod[t]).toBeLessThan(s.alphasCumprod[t - 1]);
  });

  it('linear and scaled_linear endpoints and monotonic abar', () => {
    const lin = makeSchedule({
      beta_schedule: 'linear',
      num_train_timesteps: 1000,
      beta_start: 0.0001,
      beta_end: 0.02,
    });
    expect(lin.betas[0]).toBeCloseTo(0.0001, 12);
    expect(lin.betas[999]).toBeCloseTo(0.02, 12);
    expect(lin.betas[500] - lin.betas[499]).toBeCloseTo((0.02 - 0.0001) / 999, 12);
    expect(lin.alphasCumprod[999]).toBeCloseTo(4.0358e-5, 8);
    const sl = makeSchedule({
      beta_schedule: 'scaled_linear',
      num_train_timesteps: 1000,
      beta_start: 0.00085,
      beta_end: 0.012,
    });
    expect(sl.betas[0]).toBeCloseTo(0.00085, 12);
    expect(sl.betas[999]).toBeCloseTo(0.012, 12);
    const mid = ((Math.sqrt(0.00085) + Math.sqrt(0.012)) / 2) ** 2;
    expect((sl.betas[499] + sl.betas[500]) / 2).toBeCloseTo(mid, 6);
    expect(sl.alphas[10]).toBeCloseTo(1 - sl.betas[10], 15);
  });

  it('rejects unknown schedules with the list of known ones', () => {
    expect(() => makeSchedule({ beta_schedule: 'sigmoid' })).toThrow(
      /squaredcos_cap_v2, linear, scaled_linear/,
    );
  });
});

describe('timesteps', () => {
  it('33 strided steps give 990, 960, ..., 30, 0', () => {
    const ts = stridedTimesteps();
    expect(ts).toHaveLength(34);
    expect(ts[0]).toBe(990);
    expect(ts[33]).toBe(0);
    ts.slice(1).forEach((t, i) => expect(ts[i] - t).toBe(30));
    expect(stridedTimesteps(33, 1000)).toEqual(ts);
  });

  it('other step counts end at 0 and start inside the schedule', () => {
    expect(stridedTimesteps(50)).toHaveLength(51);
    expect(stridedTimesteps(50)[0]).toBe(950);
    expect(stridedTimesteps(999)[0]).toBe(999);
    expect(stridedTimesteps(10, 100)).toEqual([90, 81, 72, 63, 54, 45, 36, 27, 18, 9, 0]);
    expect(() => stridedTimesteps(1000)).toThrow(RangeError);
    expect(() => stridedTimesteps(0)).toThrow(RangeError);
  });

  it('study noise levels map to the study timesteps', () => {
    const ts = stridedTimesteps();
    expect(STUDY_NOISE_LEVELS.map((i) => timestepAtIndex(ts, i))).toEqual([960, 900, 840, 780, 690, 390]);
    expect(() => timestepAtIndex(ts, 33)).toThrow(RangeError);
    expect(nearestTimestepIndex(ts, 500)).toBe(16);
    expect(ts[nearestTimestepIndex(ts, 500)]).toBe(510);
    expect(ts[nearestTimestepIndex(ts, 14)]).toBe(0);
  });
});

describe('spacedTimesteps (diffusers timestep_spacing)', () => {
  it('leading with steps_offset 1 (SD 1.5): 981, 961, ..., 1, then 0', () => {
    const ts = spacedTimesteps(50, 1000, 'leading', 1);
    expect(ts.slice(0, 3)).toEqual([981, 961, 941]);
    expect(ts.slice(-2)).toEqual([1, 0]);
    expect(ts).toHaveLength(51);
  });

  it('trailing starts at T - 1; linspace spans 0..T-1 with 0 as the target', () => {
    expect(spacedTimesteps(4, 1000, 'trailing')).toEqual([999, 749, 499, 249, 0]);
    expect(spacedTimesteps(4, 1000, 'linspace')).toEqual([999, 666, 333, 0]);
    expect(spacedTimesteps(4, 1000, 'leading')).toEqual([750, 500, 250, 0]);
    expect(() => spacedTimesteps(4, 1000, 'karras')).toThrow(/leading, trailing, linspace/);
  });
});
