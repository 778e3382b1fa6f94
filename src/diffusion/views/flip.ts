// Runs in the inference process and the CLI (pure math, no I/O).
import { permutationView, tableFrom } from './view.ts';

/** Upside-down view: vertical flip, out[y, x] = in[H - 1 - y, x] (its own inverse). */
export const flipView = permutationView('flip', 'upside down (vertical flip)', (s) =>
  tableFrom(s, (y, x) => [s.height - 1 - y, x]),
);
