// The tiled estimator (MultiDiffusion): window placement, averaging over overlaps, one request per
// window and inner request, and equality with the inner estimator when one window covers the sample.
import { describe, expect, it } from 'vitest';
import { cfg } from '../../src/diffusion/guidance.ts';
import { tiled, windowStarts } from '../../src/diffusion/tiles.ts';
import type { Conditioning, DenoiserRequest } from '../../src/diffusion/types.ts';

const cond: Conditioning = { data: new Float32Array([1]), dims: [1] };
const uncond: Conditioning = { data: new Float32Array([0]), dims: [1] };
/** A stand-in UNet: eps = x * (1 + cond), so the CFG result is known in closed form. */
const unet = (reqs: DenoiserRequest[]) => reqs.map((r) => ({ eps: r.x.map((v) => v * (1 + r.cond.data[0])) }));

describe('tiled estimator', () => {
  it('places windows every stride with the last one flush with the end', () => {
    expect(windowStarts(128, 64, 32)).toEqual([0, 32, 64]);
    expect(windowStarts(100, 64, 32)).toEqual([0, 32, 36]);
    expect(windowStarts(64, 64, 32)).toEqual([0]);
    expect(() => windowStarts(32, 64, 32)).toThrow(/larger/);
  });

  it('asks CFG for every window in one batch and averages a pointwise estimate back exactly', () => {
    const big = { channels: 2, height: 8, width: 8 };
    const tile = { channels: 2, height: 4, width: 4 };
    const inner = cfg(cond, uncond, 3);
    const est = tiled(inner, big, tile, 2);
    const x = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i));
    const reqs = est.requests(x, 500);
    expect(reqs).toHaveLength(9 * 2);
    const out = est.combine(unet(reqs));
    // CFG of eps = x (1 + c): x + 3 (2x - x) = 4x, everywhere, however many windows overlap.
    out.eps.forEach((v, i) => expect(v).toBeCloseTo(4 * x[i], 5));
  });

  it('averages windows that disagree by coverage (corner: 1 window, centre: 4)', () => {
    const big = { channels: 1, height: 6, width: 6 };
    const tile = { channels: 1, height: 4, width: 4 };
    let call = 0;
    // Each window answers a constant: its own index.
    const inner = { requests: (xx: Float32Array) => [{ x: xx, cond }], combine: () => ({ eps: new Float32Array(16).fill(call++) }) };
    const est = tiled(inner, big, tile, 2);
    const out = est.combine(unet(est.requests(new Float32Array(36), 10)));
    expect(out.eps[0]).toBe(0); // only window 0 covers (0, 0)
    expect(out.eps[35]).toBe(3); // only window 3 covers (5, 5)
    expect(out.eps[2 * 6 + 2]).toBe((0 + 1 + 2 + 3) / 4); // (2, 2) lies in all four
  });

  it('is the inner estimator when one window covers the sample', () => {
    const shape = { channels: 1, height: 4, width: 4 };
    const x = Float32Array.from({ length: 16 }, (_, i) => i / 7);
    const inner = cfg(cond, uncond, 5);
    const a = inner.combine(unet(inner.requests(x, 1)));
    const est = tiled(inner, shape, shape, 2);
    const b = est.combine(unet(est.requests(x, 1)));
    expect(Array.from(b.eps)).toEqual(Array.from(a.eps));
  });
});
