// Runs in the inference process and the CLI (pure math, no I/O).
import type { View } from './view.ts';
import { checkShape } from './view.ts';

/** Identity view: V x = x. */
export const identityView: View = {
  name: 'identity',
  description: 'the image as is',
  apply: (x, shape) => (checkShape(x, shape), x.slice()),
  inverse: (x, shape) => (checkShape(x, shape), x.slice()),
};
