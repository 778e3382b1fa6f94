import { describe, expect, it } from 'vitest';
import { makeStrip } from '../../src/imaging/index.ts';
import { pixel, solidImage } from './helpers.ts';

describe('makeStrip', () => {
  it('places images left to right with gaps', () => {
    const imgs = [
      solidImage(2, 2, [255, 0, 0]),
      solidImage(2, 2, [0, 255, 0]),
      solidImage(2, 2, [0, 0, 255]),
    ];
    const s = makeStrip(imgs, { gap: 1 });
    expect([s.width, s.height, s.rgb.length]).toEqual([8, 2, 8 * 2 * 3]);
    const row = Array.from({ length: 8 }, (_, x) => pixel(s, x, 1));
    expect(row).toEqual([
      [255, 0, 0],
      [255, 0, 0],
      [255, 255, 255],
      [0, 255, 0],
      [0, 255, 0],
      [255, 255, 255],
      [0, 0, 255],
      [0, 0, 255],
    ]);
  });

  it('adds a margin in the background colour and centres shorter images', () => {
    const s = makeStrip([solidImage(3, 4, [9, 9, 9]), solidImage(2, 2, [7, 7, 7])], {
      gap: 2,
      margin: 1,
      background: [0, 0, 0],
    });
    expect([s.width, s.height]).toEqual([1 + 3 + 2 + 2 + 1, 4 + 2]);
    expect(pixel(s, 0, 0)).toEqual([0, 0, 0]);
    expect(pixel(s, 1, 1)).toEqual([9, 9, 9]);
    expect(pixel(s, 6, 1)).toEqual([0, 0, 0]); // above the centred 2x2
    expect(pixel(s, 6, 2)).toEqual([7, 7, 7]);
    expect(pixel(s, 7, 3)).toEqual([7, 7, 7]);
    expect(pixel(s, 6, 4)).toEqual([0, 0, 0]);
  });

  it('rejects an empty list and a malformed image', () => {
    expect(() => makeStrip([])).toThrow(RangeError);
    expect(() => makeStrip([{ width: 2, height: 2, rgb: new Uint8Array(3) }])).toThrow(RangeError);
  });
});
