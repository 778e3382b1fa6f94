import { describe, expect, it } from 'vitest';
import { createRng, randomSeed } from '../../src/diffusion/rng.ts';

describe('seeded Gaussian generator', () => {
  it('pins the first values (xoshiro128** via splitmix32, Box-Muller)', () => {
    const r = createRng(42);
    expect([r.uint32(), r.uint32(), r.uint32()]).toEqual([2837322924, 544945897, 479756282]);
    expect(Array.from(createRng(0).normal(4))).toEqual([
      -0.04292575642466545, 0.48816728591918945, -1.3734577894210815, -2.6232943534851074,
    ]);
    const big = createRng(2 ** 40 + 42);
    expect([big.uint32(), big.uint32()]).toEqual([3712281425, 1598781022]);
  });

  it('same seed same numbers, other seed other numbers', () => {
    expect(createRng(7).normal(1001)).toEqual(createRng(7).normal(1001));
    const a = createRng(7).normal(64);
    const b = createRng(8).normal(64);
    expect(a.some((v, i) => v !== b[i])).toBe(true);
  });

  it('has mean ~0 and variance ~1 over 1e5 draws', () => {
    const z = createRng(123).normal(100_000);
    let s = 0;
    let s2 = 0;
    for (const v of z) {
      s += v;
      s2 += v * v;
    }
    const mean = s / z.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(s2 / z.length - mean * mean - 1)).toBeLessThan(0.02);
    expect(z.every(Number.isFinite)).toBe(true);
  });

  it('rejects bad seeds; randomSeed gives uint32 seeds', () => {
    expect(() => createRng(-1)).toThrow(RangeError);
    expect(() => createRng(1.5)).toThrow(RangeError);
    const s = randomSeed();
    expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });
});
