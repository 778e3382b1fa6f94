// Runs in the inference process and the CLI (pure math, no I/O).
import { permutationView, requireSquare, tableFrom } from './view.ts';

/** Clockwise quarter turn (square samples): out[y, x] = in[N - 1 - x, y]. */
export const rotate90cwView = permutationView(
  'rotate90cw',
  'rotated 90 degrees clockwise (square only)',
  (s) => {
    requireSquare('rotate90cw', s);
    return tableFrom(s, (y, x) => [s.height - 1 - x, y]);
  },
);

/** Counter-clockwise quarter turn (square samples): out[y, x] = in[x, N - 1 - y]. */
export const rotate90ccwView = permutationView(
  'rotate90ccw',
  'rotated 90 degrees counter-clockwise (square only)',
  (s) => {
    requireSquare('rotate90ccw', s);
    return tableFrom(s, (y, x) => [x, s.width - 1 - y]);
  },
);
