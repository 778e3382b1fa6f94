import { describe, expect, it } from 'vitest';
import {
  gaussianBlur,
  gaussianKernel,
  gaussianLowpass,
  highpass,
  hybridFilterFor,
} from '../../src/diffusion/filters.ts';
import { forward, oneStep } from '../../src/diffusion/forward.ts';
import { createRng } from '../../src/diffusion/rng.ts';
import { makeSchedule } from '../../src/diffusion/schedule.ts';
import type { Shape } from '../../src/diffusion/types.ts';
import { image, maxAbsDiff } from './helpers.ts';

describe('forward and one-step', () => {
  it('one-step with the true eps returns x0', () => {
    const s = makeSchedule({ beta_schedule: 'squaredcos_cap_v2' });
    const shape: Shape = { channels: 3, height: 16, width: 16 };
    const x0 = image(shape);
    const eps = createRng(3).normal(x0.length);
    for (const t of [0, 250, 500, 750, 990]) {
      const xt = forward(x0, eps, s.alphasCumprod[t]);
      // x_t is float32, so its rounding is amplified by 1 / sqrt(abar_t) (about 13 at t = 990)
      expect(maxAbsDiff(oneStep(xt, eps, s.alphasCumprod[t]), x0)).toBeLessThan(t <= 750 ? 1e-5 : 1e-4);
    }
    const xt = forward(x0, eps, s.alphasCumprod[500]);
    expect(xt[7]).toBeCloseTo(Math.sqrt(0.49228517) * x0[7] + Math.sqrt(1 - 0.49228517) * eps[7], 5);
  });
});

/** Direct 2-D convolution with reflect padding, for comparison. */
function blur2d(x: Float32Array, s: Shape, size: number, sigma: number): Float32Array {
  const k = gaussianKernel(size, sigma);
  const half = (size - 1) / 2;
  const refl = (i: number, n: number) => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
  const out = new Float32Array(x.length);
  for (let c = 0; c < s.channels; c++)
    for (let y = 0; y < s.height; y++)
      for (let xx = 0; xx < s.width; xx++) {
        let acc = 0;
        for (let i = 0; i < size; i++)
          for (let j = 0; j < size; j++)
            acc +=
              k[i] *
              k[j] *
              x[
                c * s.height * s.width + refl(y + i - half, s.height) * s.width + refl(xx + j - half, s.width)
              ];
        out[c * s.height * s.width + y * s.width + xx] = acc;
      }
  return out;
}

describe('Gaussian filters', () => {
  it('kernel is normalised and symmetric', () => {
    const k = gaussianKernel(5, 2);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(k[0]).toBeCloseTo(k[4], 15);
    expect(k[1] / k[2]).toBeCloseTo(Math.exp(-1 / 8), 12);
    expect(() => gaussianKernel(0, 1)).toThrow(RangeError);
  });

  it('blur equals a direct 2-D convolution with reflect padding', () => {
    const s: Shape = { channels: 2, height: 9, width: 7 };
    const x = createRng(5).normal(s.channels * s.height * s.width);
    expect(maxAbsDiff(gaussianBlur(x, s, 5, 1.5), blur2d(x, s, 5, 1.5))).toBeLessThan(1e-5);
  });

  it('preserves constants even with a kernel wider than the image, and smooths noise', () => {
    const s: Shape = { channels: 1, height: 8, width: 8 };
    const c = new Float32Array(64).fill(0.3);
    expect(maxAbsDiff(gaussianBlur(c, s, 33, 2), c)).toBeLessThan(1e-6);
    const n = createRng(9).normal(64);
    const b = gaussianBlur(n, s, 5, 2);
    const v = (a: Float32Array) => a.reduce((p, q) => p + q * q, 0);
    expect(v(b)).toBeLessThan(v(n) / 4);
  });

  it('lowpass + highpass is the identity', () => {
    const s: Shape = { channels: 3, height: 16, width: 16 };
    const e = createRng(11).normal(768);
    const lp = gaussianLowpass(s, 9, 2);
    const sum = lp(e).map((v, i) => v + highpass(e, lp)[i]);
    expect(maxAbsDiff(sum, e)).toBeLessThan(1e-6);
  });

  it('hybrid filter scales with resolution', () => {
    expect(hybridFilterFor(64)).toEqual({ size: 33, sigma: 2 });
    expect(hybridFilterFor(128)).toEqual({ size: 67, sigma: 4 });
    expect(hybridFilterFor(32)).toEqual({ size: 17, sigma: 1 });
    expect(hybridFilterFor(4).size).toBe(3);
  });
});
