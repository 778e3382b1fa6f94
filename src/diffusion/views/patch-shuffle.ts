// Runs in the inference process and the CLI (pure math, no I/O).
import type { View } from './view.ts';
import { permutationView, tableFrom } from './view.ts';

/** The fixed patch order of the 4x4 patch-shuffle view: output patch i shows input patch PATCH_ORDER_4[i]. */
export const PATCH_ORDER_4: readonly number[] = [10, 3, 13, 6, 0, 15, 8, 5, 12, 1, 11, 14, 7, 9, 2, 4];

/**
 * Jigsaw-like view: the sample cut into a grid x grid array of equal patches, rearranged by a fixed
 * permutation `order` (output patch i = input patch order[i]). Height and width must divide by grid.
 */
export function patchShuffleView(
  grid = 4,
  order: readonly number[] = PATCH_ORDER_4,
  name = 'patch-shuffle',
): View {
  const n = grid * grid;
  if (
    order.length !== n ||
    new Set(order).size !== n ||
    order.some((o) => !Number.isInteger(o) || o < 0 || o >= n)
  ) {
    throw new RangeError(`patch order must be a permutation of 0..${n - 1}`);
  }
  return permutationView(name, `${grid}x${grid} patches shuffled in a fixed order`, (s) => {
    if (s.height % grid !== 0 || s.width % grid !== 0) {
      throw new RangeError(
        `view "${name}" needs height and width divisible by ${grid}, got ${s.height}x${s.width}`,
      );
    }
    const ph = s.height / grid;
    const pw = s.width / grid;
    return tableFrom(s, (y, x) => {
      const src = order[Math.floor(y / ph) * grid + Math.floor(x / pw)];
      return [Math.floor(src / grid) * ph + (y % ph), (src % grid) * pw + (x % pw)];
    });
  });
}

/** The registry's patch-shuffle view: 4x4 patches in the order PATCH_ORDER_4. */
export const patchShuffle4View = patchShuffleView();
