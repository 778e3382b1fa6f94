// Runs in the inference process and the CLI (pure math, no I/O).
// Separable Gaussian blur and the low-pass / high-pass split of hybrid images
// (Oliva, Torralba & Schyns 2006; on noise estimates as in Geng et al., "Visual Anagrams", 2024).
import type { Shape } from './types.ts';

/** Normalised 1-D Gaussian kernel of `size` taps centred at (size - 1) / 2, exp(-x^2 / (2 sigma^2)) (torchvision's). */
export function gaussianKernel(size: number, sigma: number): Float64Array {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`kernel size must be a positive integer, got ${size}`);
  if (!(sigma > 0)) throw new RangeError(`sigma must be > 0, got ${sigma}`);
  const k = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    k[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
    sum += k[i];
  }
  for (let i = 0; i < size; i++) k[i] /= sum;
  return k;
}

/** Reflect index i into 0..n-1 without repeating the edge (…2 1 | 0 1 2 … n-1 | n-2 …), folded as often as needed. */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

/**
 * Gaussian blur of a CHW tensor, separable (rows then columns), reflect padding as torchvision's
 * gaussian_blur; kernels wider than the image fold the reflection repeatedly. Even sizes are allowed.
 */
export function gaussianBlur(x: Float32Array, shape: Shape, size: number, sigma: number): Float32Array {
  const { channels: C, height: H, width: W } = shape;
  if (x.length !== C * H * W) throw new RangeError(`tensor has ${x.length} values, shape needs ${C * H * W}`);
  const k = gaussianKernel(size, sigma);
  const left = Math.floor((size - 1) / 2);
  const tmp = new Float64Array(x.length);
  const out = new Float32Array(x.length);
  const colIdx = new Int32Array(W * size);
  for (let xx = 0; xx < W; xx++)
    for (let j = 0; j < size; j++) colIdx[xx * size + j] = reflect(xx + j - left, W);
  const rowIdx = new Int32Array(H * size);
  for (let y = 0; y < H; y++) for (let j = 0; j < size; j++) rowIdx[y * size + j] = reflect(y + j - left, H);
  for (let c = 0; c < C; c++) {
    const base = c * H * W;
    for (let y = 0; y < H; y++) {
      const row = base + y * W;
      for (let xx = 0; xx < W; xx++) {
        let s = 0;
        for (let j = 0; j < size; j++) s += k[j] * x[row + colIdx[xx * size + j]];
        tmp[row + xx] = s;
      }
    }
    for (let y = 0; y < H; y++) {
      for (let xx = 0; xx < W; xx++) {
        let s = 0;
        for (let j = 0; j < size; j++) s += k[j] * tmp[base + rowIdx[y * size + j] * W + xx];
        out[base + y * W + xx] = s;
      }
    }
  }
  return out;
}

/** A low-pass filter of CHW tensors of one shape. */
export type Lowpass = (x: Float32Array) => Float32Array;

/** Gaussian low-pass filter bound to a shape, kernel size and sigma. */
export function gaussianLowpass(shape: Shape, size: number, sigma: number): Lowpass {
  gaussianKernel(size, sigma);
  return (x) => gaussianBlur(x, shape, size, sigma);
}

/** High-pass: e - lowpass(e). */
export function highpass(e: Float32Array, lowpass: Lowpass): Float32Array {
  const lo = lowpass(e);
  const out = new Float32Array(e.length);
  for (let i = 0; i < e.length; i++) out[i] = e[i] - lo[i];
  return out;
}

/** The study's hybrid filter (kernel 33, sigma 2 at 64 px) scaled with resolution: size odd, >= 3. */
export function hybridFilterFor(
  resolution: number,
  baseSize = 33,
  baseSigma = 2,
  baseResolution = 64,
): { size: number; sigma: number } {
  const f = resolution / baseResolution;
  let size = Math.max(3, Math.round(baseSize * f));
  if (size % 2 === 0) size += 1;
  return { size, sigma: baseSigma * f };
}
