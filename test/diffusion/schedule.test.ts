import { describe, expect, it } from 'vitest';
import {
  STUDY_NOISE_LEVELS,
  makeSchedule,
  nearestTimestepIndex,
  rescaleZeroTerminalSnr,
  stridedTimesteps,
  timestepAtIndex,
} from '../../src/diffusion/schedule.ts';
import { dpmSolverTimesteps, roundHalfEven, spacedTimesteps } from '../../src/diffusion/samplers/spacing.ts';

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

/** numpy.round of a float64 value: ties (exact .5 in binary) to even. */
function npRound(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

/** numpy.linspace(0, stop, num) as numpy computes it: arange(num) * (stop / (num - 1)), last = stop. */
function npLinspace(stop: number, num: number): number[] {
  const step = stop / (num - 1);
  return Array.from({ length: num }, (_, i) => (num === 1 ? 0 : i === num - 1 ? stop : i * step));
}

describe('spacedTimesteps (diffusers set_timesteps)', () => {
  it("diffusers' own published lists: DDIM steps_offset 1 at 5 steps, SD 1.5 (leading, offset 1) at 50", () => {
    expect(spacedTimesteps(5, 1000, 'leading', 1)).toEqual([801, 601, 401, 201, 1]);
    const sd = spacedTimesteps(50, 1000, 'leading', 1);
    expect([sd[0], sd[1], sd[49]]).toEqual([981, 961, 1]);
    expect(sd).toHaveLength(50);
  });

  it('trailing starts at T - 1, linspace spans T-1 .. 0 (0 is a model call), leading counts up from the offset', () => {
    expect(spacedTimesteps(4, 1000, 'trailing')).toEqual([999, 749, 499, 249]);
    expect(spacedTimesteps(4, 1000, 'linspace')).toEqual([999, 666, 333, 0]);
    expect(spacedTimesteps(4, 1000, 'leading')).toEqual([750, 500, 250, 0]);
    expect(spacedTimesteps(1, 1000, 'trailing')).toEqual([999]);
    expect(spacedTimesteps(1, 1000, 'linspace')).toEqual([0]);
    expect(() => spacedTimesteps(4, 1000, 'karras')).toThrow(/leading, trailing, linspace/);
  });

  it("rounds halves to even as numpy does, for every n in 1..100 (numpy's float arithmetic as the reference)", () => {
    let halves = 0;
    for (let n = 1; n <= 100; n++) {
      const lin = npLinspace(999, n).map(npRound).reverse();
      const step = -1000 / n;
      const trail = Array.from({ length: n }, (_, i) => npRound(1000 + i * step) - 1);
      expect(spacedTimesteps(n, 1000, 'linspace')).toEqual(lin);
      expect(spacedTimesteps(n, 1000, 'trailing')).toEqual(trail);
      for (const off of [0, 1]) {
        expect(spacedTimesteps(n, 1000, 'leading', off)).toEqual(
          Array.from({ length: n }, (_, i) => (n - 1 - i) * Math.floor(1000 / n) + off),
        );
      }
      const dpm = npLinspace(999, n + 1).map(npRound).reverse().slice(0, n);
      expect(dpmSolverTimesteps(n, 1000, 'linspace')).toEqual(dpm);
      if (npLinspace(999, n).some((v) => npRound(v) !== Math.round(v))) halves++;
    }
    // Half-up rounding would pick another timestep at some of these counts.
    expect(halves).toBeGreaterThan(0);
    expect([roundHalfEven(0.5), roundHalfEven(1.5), roundHalfEven(2.5), roundHalfEven(-0.5)]).toEqual([0, 2, 2, -0]);
  });

  it("DPM-Solver's own spacing: the n + 1 variant without its last entry", () => {
    expect(dpmSolverTimesteps(4, 1000, 'linspace')).toEqual([999, 749, 500, 250]);
    expect(dpmSolverTimesteps(4, 1000, 'leading', 1)).toEqual([801, 601, 401, 201]);
    expect(dpmSolverTimesteps(4, 1000, 'trailing')).toEqual([999, 749, 499, 249]);
  });
});

describe('rescaleZeroTerminalSnr (Lin et al. 2024)', () => {
  it('ends at abar = 0 and keeps abar_0', () => {
    const plain = makeSchedule({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 });
    const zero = makeSchedule({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012, rescale_betas_zero_snr: true });
    expect(zero.alphasCumprod[999]).toBeCloseTo(0, 12);
    expect(zero.alphasCumprod[0]).toBeCloseTo(plain.alphasCumprod[0], 12);
    expect(rescaleZeroTerminalSnr(plain.betas)[999]).toBeCloseTo(1, 12);
    for (let t = 1; t < 1000; t++) expect(zero.alphasCumprod[t]).toBeLessThan(zero.alphasCumprod[t - 1]);
  });
});
