import { describe, expect, it } from 'vitest';
import {
  maskFromAlpha,
  maskFromImage,
  maskToTensor,
  rgbToTensor,
  tensorToRgb,
  maskCoverage,
} from '../../src/imaging/index.ts';
import type { RgbImage } from '../../src/imaging/index.ts';

describe('rgbToTensor / tensorToRgb', () => {
  it('maps 0 -> -1, 255 -> 1 in CHW order', () => {
    // 2x1: pixel 0 = (0, 255, 51), pixel 1 = (255, 0, 102)
    const img: RgbImage = { width: 2, height: 1, rgb: new Uint8Array([0, 255, 51, 255, 0, 102]) };
    const t = rgbToTensor(img);
    expect(t).toBeInstanceOf(Float32Array);
    const expected = [-1, 1, 1, -1, 51 / 127.5 - 1, 102 / 127.5 - 1];
    expected.forEach((v, i) => expect(t[i]).toBeCloseTo(v, 6));
  });

  it('round-trips every uint8 value exactly', () => {
    const rgb = new Uint8Array(256 * 3);
    for (let v = 0; v < 256; v++) rgb.set([v, 255 - v, (v * 7) % 256], v * 3);
    const img: RgbImage = { width: 16, height: 16, rgb };
    const back = tensorToRgb(rgbToTensor(img), 16, 16);
    expect(Array.from(back.rgb)).toEqual(Array.from(rgb));
  });

  it('clamps and rounds on the way back', () => {
    const t = new Float32Array([1.5, -3, Number.NaN, 0, 0.0039, 0.004]);
    // channel-major: R of both pixels, then G, then B
    const out = tensorToRgb(t, 2, 1);
    // (0 + 1) * 127.5 = 127.5 -> 128; (0.0039 + 1) * 127.5 = 127.997 -> 128; 0.0040 -> 128.01 -> 128
    expect(Array.from(out.rgb)).toEqual([255, 0, 128, 0, 128, 128]);
    expect(() => tensorToRgb(new Float32Array(5), 2, 1)).toThrow(RangeError);
  });
});

describe('masks', () => {
  it('maskFromAlpha: alpha < 128 means regenerate', () => {
    const m = maskFromAlpha(new Uint8Array([0, 127, 128, 255]), 2, 2);
    expect(Array.from(m.mask)).toEqual([1, 1, 0, 0]);
    expect(maskCoverage(m)).toBe(0.5);
  });

  it('maskFromImage: white (luma >= 128) means regenerate', () => {
    const rgb = new Uint8Array([255, 255, 255, 0, 0, 0, 128, 128, 128, 127, 127, 127, 255, 0, 0, 0, 255, 0]);
    // luma: 255, 0, 128, 127, 76.2 (red), 149.7 (green)
    expect(Array.from(maskFromImage({ width: 6, height: 1, rgb }).mask)).toEqual([1, 0, 1, 0, 0, 1]);
  });

  it('maskToTensor broadcasts HW over channels as 0/1 floats', () => {
    const t = maskToTensor({ width: 3, height: 1, mask: new Uint8Array([1, 0, 1]) });
    expect(Array.from(t)).toEqual([1, 0, 1, 1, 0, 1, 1, 0, 1]);
    expect(maskToTensor({ width: 2, height: 1, mask: new Uint8Array([0, 1]) }, 4).length).toBe(8);
  });
});
