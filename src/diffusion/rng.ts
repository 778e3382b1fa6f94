// Runs in the inference process and the CLI (pure math, no I/O).
// Seeded Gaussian generator, identical numbers on every platform.
//
// Integers: xoshiro128** (Blackman & Vigna 2018), 32-bit state words, seeded by splitmix32 from
// the seed's low 32 bits (the high bits of a seed above 2^32 are mixed in after the first word).
// Only integer ops (Math.imul, shifts, xor) touch the state, so the uint32 stream is exact.
// Gaussians: Box-Muller on pairs of uint32s, u1 = (a + 1) / 2^32 in (0, 1], u2 = b / 2^32:
// z0 = sqrt(-2 ln u1) cos(2 pi u2), z1 = sqrt(-2 ln u1) sin(2 pi u2), rounded to float32.
// The only float ops are Math.log, Math.sqrt, Math.cos, Math.sin and basic arithmetic; V8 computes
// log/cos/sin with its own fdlibm port (not the C library), so results agree across platforms.
// normal(n) consumes ceil(n / 2) pairs and drops the spare value of an odd n, so a draw depends
// only on the sequence of n requested.

export interface Rng {
  /** Next uint32 of the xoshiro128** stream. */
  uint32(): number;
  /** n standard normal values (Box-Muller), float32. */
  normal(n: number): Float32Array;
}

const TWO_POW_32 = 4294967296;

/** A seeded generator: xoshiro128** seeded with splitmix32, Box-Muller Gaussians. Seed: integer 0 .. 2^53 - 1. */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`seed must be an integer in 0..2^53-1, got ${seed}`);
  let sm = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  const splitmix32 = (): number => {
    sm = (sm + 0x9e3779b9) | 0;
    let z = sm;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let s0 = splitmix32();
  sm = (sm ^ hi) | 0;
  let s1 = splitmix32();
  let s2 = splitmix32();
  let s3 = splitmix32();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));
  const uint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  const normal = (n: number): Float32Array => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const u1 = (uint32() + 1) / TWO_POW_32;
      const u2 = uint32() / TWO_POW_32;
      const r = Math.sqrt(-2 * Math.log(u1));
      const a = 2 * Math.PI * u2;
      out[i] = r * Math.cos(a);
      if (i + 1 < n) out[i + 1] = r * Math.sin(a);
    }
    return out;
  };
  return { uint32, normal };
}

/** A fresh random seed in 0 .. 2^32 - 1 from globalThis.crypto.getRandomValues (never Math.random). */
export function randomSeed(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0];
}
