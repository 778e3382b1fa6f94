// Runs in the inference process and the CLI (pure math, no I/O).
import { flipView } from './flip.ts';
import { identityView } from './identity.ts';
import { negateView } from './negate.ts';
import { patchShuffle4View } from './patch-shuffle.ts';
import { rotate180View } from './rotate180.ts';
import { rotate90ccwView, rotate90cwView } from './rotate90.ts';
import type { View } from './view.ts';

/** Every named view, in help order. */
export const VIEWS: readonly View[] = [
  identityView,
  flipView,
  rotate180View,
  rotate90cwView,
  rotate90ccwView,
  negateView,
  patchShuffle4View,
];

/** Names accepted by getView. */
export const VIEW_NAMES: readonly string[] = VIEWS.map((v) => v.name);

/** Look up a view by name; unknown names throw an error listing the known ones. */
export function getView(name: string): View {
  const v = VIEWS.find((x) => x.name === name);
  if (!v) throw new RangeError(`unknown view "${name}"; known views: ${VIEW_NAMES.join(', ')}`);
  return v;
}
