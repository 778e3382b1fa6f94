// Runs in the inference process and the CLI (pure math, no I/O).
// Views for visual anagrams (Geng, Park & Owens, "Visual Anagrams", CVPR 2024): orthogonal
// transforms of a CHW sample, each with an exact inverse.
import type { Shape } from '../types.ts';

export interface View {
  name: string;
  /** One line for help texts. */
  description: string;
  /** V x. Throws a clear error if the view does not apply to the shape. */
  apply(x: Float32Array, shape: Shape): Float32Array;
  /** V^-1 x; inverse(apply(x)) === x exactly. */
  inverse(x: Float32Array, shape: Shape): Float32Array;
  /**
   * V^-1 for per-element variance channels (learned_range values): the pixel permutation only,
   * without sign changes. Omitted = `inverse` (views that only move pixels).
   */
  inverseVariance?(v: Float32Array, shape: Shape): Float32Array;
}

/** Checks that a tensor holds C*H*W values. */
export function checkShape(x: Float32Array, shape: Shape): void {
  const n = shape.channels * shape.height * shape.width;
  if (x.length !== n)
    throw new RangeError(
      `tensor has ${x.length} values, shape ${shape.channels}x${shape.height}x${shape.width} needs ${n}`,
    );
}

/** A view that moves pixels: out[c, y, x] = in[c, src(y, x)], with src a bijection of the H x W grid given as a flat index table. */
export function permutationView(
  name: string,
  description: string,
  table: (shape: Shape) => Int32Array,
): View {
  const move = (x: Float32Array, shape: Shape, inverse: boolean): Float32Array => {
    checkShape(x, shape);
    const src = table(shape);
    const hw = shape.height * shape.width;
    const out = new Float32Array(x.length);
    for (let c = 0; c < shape.channels; c++) {
      const o = c * hw;
      if (inverse) for (let p = 0; p < hw; p++) out[o + src[p]] = x[o + p];
      else for (let p = 0; p < hw; p++) out[o + p] = x[o + src[p]];
    }
    return out;
  };
  return {
    name,
    description,
    apply: (x, shape) => move(x, shape, false),
    inverse: (x, shape) => move(x, shape, true),
  };
}

/** Source-index table from a per-pixel map (y, x) -> (sy, sx). */
export function tableFrom(shape: Shape, src: (y: number, x: number) => [number, number]): Int32Array {
  const { height: H, width: W } = shape;
  const t = new Int32Array(H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const [sy, sx] = src(y, x);
      t[y * W + x] = sy * W + sx;
    }
  }
  return t;
}

/** Error for square-only views on non-square shapes. */
export function requireSquare(name: string, shape: Shape): void {
  if (shape.height !== shape.width) {
    throw new RangeError(`view "${name}" needs a square sample, got ${shape.height}x${shape.width}`);
  }
}
