// Runs in the inference process and the CLI (pure math, no I/O).
import type { View } from './view.ts';
import { checkShape } from './view.ts';

function neg(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = -x[i];
  return out;
}

/** Negation (colour inversion in [-1, 1]): V x = -x, its own inverse; variance channels are left as they are. */
export const negateView: View = {
  name: 'negate',
  description: 'colours inverted',
  apply: (x, shape) => (checkShape(x, shape), neg(x)),
  inverse: (x, shape) => (checkShape(x, shape), neg(x)),
  inverseVariance: (v, shape) => (checkShape(v, shape), v.slice()),
};
