import { describe, expect, it } from 'vitest';
import {
  float16ToFloat32,
  float32ToFloat16,
  fromFloat16Bits,
  toFloat16Bits,
} from '../../src/runtime/index.ts';

describe('float16 conversion', () => {
  it('encodes known values to their IEEE 754 binary16 bits', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(0.5)).toBe(0x3800);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    expect(toFloat16Bits(-0)).toBe(0x8000);
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001);
    expect(toFloat16Bits(2 ** -14)).toBe(0x0400);
    expect(toFloat16Bits(NaN) & 0x7c00).toBe(0x7c00);
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even -> 1.
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('decodes bits exactly', () => {
    expect(fromFloat16Bits(0x3c00)).toBe(1);
    expect(fromFloat16Bits(0x3555)).toBeCloseTo(0.333251953125, 12);
    expect(fromFloat16Bits(0x0001)).toBe(2 ** -24);
    expect(fromFloat16Bits(0xfc00)).toBe(-Infinity);
  });

  it('round-trips every finite binary16 value', () => {
    const bits = new Uint16Array(0x10000);
    for (let i = 0; i < bits.length; i++) bits[i] = i;
    const back = float32ToFloat16(float16ToFloat32(bits));
    for (let i = 0; i < bits.length; i++) {
      if ((i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0) continue; // NaN payloads
      if (back[i] !== i) throw new Error(`0x${i.toString(16)} -> 0x${back[i].toString(16)}`);
    }
  });
});
