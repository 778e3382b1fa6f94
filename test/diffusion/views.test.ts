import { describe, expect, it } from 'vitest';
import type { Shape } from '../../src/diffusion/types.ts';
import { createRng } from '../../src/diffusion/rng.ts';
import { VIEWS, VIEW_NAMES, getView } from '../../src/diffusion/views/registry.ts';
import { patchShuffleView } from '../../src/diffusion/views/patch-shuffle.ts';

const square: Shape = { channels: 3, height: 8, width: 8 };
const wide: Shape = { channels: 2, height: 8, width: 12 };
const size = (s: Shape) => s.channels * s.height * s.width;

describe('views', () => {
  it('lists the required names', () => {
    expect(VIEW_NAMES).toEqual([
      'identity',
      'flip',
      'rotate180',
      'rotate90cw',
      'rotate90ccw',
      'negate',
      'patch-shuffle',
    ]);
    expect(() => getView('spin')).toThrow(
      /identity, flip, rotate180, rotate90cw, rotate90ccw, negate, patch-shuffle/,
    );
  });

  for (const view of VIEWS) {
    const shapes = view.name.startsWith('rotate90') ? [square] : [square, wide];
    for (const shape of shapes) {
      it(`${view.name}: inverse(apply(x)) and apply(inverse(x)) are x on ${shape.height}x${shape.width}`, () => {
        const x = createRng(1).normal(size(shape));
        const y = view.apply(x, shape);
        expect(view.inverse(y, shape)).toEqual(x);
        expect(view.apply(view.inverse(x, shape), shape)).toEqual(x);
        if (view.name !== 'identity') expect(y).not.toEqual(x);
        expect(x).toEqual(createRng(1).normal(size(shape)));
      });
    }
  }

  it('flip is upside down and rotate90cw turns clockwise', () => {
    const s1: Shape = { channels: 1, height: 2, width: 3 };
    expect(Array.from(getView('flip').apply(Float32Array.of(1, 2, 3, 4, 5, 6), s1))).toEqual([
      4, 5, 6, 1, 2, 3,
    ]);
    expect(Array.from(getView('rotate180').apply(Float32Array.of(1, 2, 3, 4, 5, 6), s1))).toEqual([
      6, 5, 4, 3, 2, 1,
    ]);
    const s2: Shape = { channels: 1, height: 2, width: 2 };
    expect(Array.from(getView('rotate90cw').apply(Float32Array.of(1, 2, 3, 4), s2))).toEqual([3, 1, 4, 2]);
    expect(Array.from(getView('rotate90ccw').apply(Float32Array.of(1, 2, 3, 4), s2))).toEqual([2, 4, 1, 3]);
    expect(Array.from(getView('negate').apply(Float32Array.of(1, -2, 0.5, 0), s2))).toEqual([
      -1, 2, -0.5, -0,
    ]);
  });

  it('rotate90 refuses non-square samples; patch-shuffle refuses indivisible ones', () => {
    const x = new Float32Array(size(wide));
    expect(() => getView('rotate90cw').apply(x, wide)).toThrow(/square/);
    const odd: Shape = { channels: 1, height: 6, width: 6 };
    expect(() => getView('patch-shuffle').apply(new Float32Array(36), odd)).toThrow(/divisible by 4/);
    expect(() => patchShuffleView(2, [0, 1, 1, 3])).toThrow(/permutation/);
  });

  it('patch-shuffle moves whole patches', () => {
    const s: Shape = { channels: 1, height: 4, width: 4 };
    const v = patchShuffleView(2, [3, 2, 1, 0]);
    const x = Float32Array.from({ length: 16 }, (_, i) => i);
    expect(Array.from(v.apply(x, s))).toEqual([10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5]);
  });

  it('negate leaves variance channels unsigned; pixel views move them like eps', () => {
    const v = Float32Array.of(0.5, -0.25, 1, 0);
    const s2: Shape = { channels: 1, height: 2, width: 2 };
    expect(getView('negate').inverseVariance!(v, s2)).toEqual(v);
    expect(getView('flip').inverseVariance).toBeUndefined();
  });
});
