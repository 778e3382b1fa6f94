// Runs in the inference process and the CLI (pure math, no I/O).
import { permutationView, tableFrom } from './view.ts';

/** Rotation by 180 degrees: out[y, x] = in[H - 1 - y, W - 1 - x]. */
export const rotate180View = permutationView('rotate180', 'rotated 180 degrees', (s) =>
  tableFrom(s, (y, x) => [s.height - 1 - y, s.width - 1 - x]),
);
