// Runs in the inference process and the CLI (pure math, no I/O).
import { average, withView } from '../guidance.ts';
import { sampleLoop } from '../loop.ts';
import type { Conditioning, Estimator, Shape } from '../types.ts';
import { getView } from '../views/registry.ts';
import type { View } from '../views/view.ts';
import type { Guidance, RecipeBase } from './common.ts';
import { guided, loopBase, planOf, startNoise } from './common.ts';

export interface AnagramOptions extends RecipeBase, Guidance {
  /** Prompt for the image as is. */
  upright: Conditioning;
  /** Prompt for the image seen through the view. */
  transformed: Conditioning;
  /** A View or a registry name; default "flip" (upside down). */
  view?: View | string;
}

/** Visual anagrams (Geng et al. 2024): eps = mean_i V_i^-1(eps_i(V_i x)), each eps_i CFG'd. */
export function anagramEstimator(
  parts: ReadonlyArray<{ cond: Conditioning; view: View }>,
  g: Guidance,
  shape: Shape,
): Estimator {
  return average(parts.map((p) => withView(guided(p.cond, g), p.view, shape)));
}

/** Two-view anagram: eps = (eps_1(x) + V^-1(eps_2(V x))) / 2. */
export async function anagram(o: AnagramOptions): Promise<Float32Array> {
  const view = typeof o.view === 'string' ? getView(o.view) : (o.view ?? getView('flip'));
  const plan = planOf(o);
  const x = startNoise(o, plan);
  view.apply(x, o.shape); // fails fast when the view does not fit the shape (e.g. rotate90 on non-square)
  const estimator = anagramEstimator(
    [
      { cond: o.upright, view: getView('identity') },
      { cond: o.transformed, view },
    ],
    o,
    o.shape,
  );
  return sampleLoop({ ...loopBase(o), x, plan, estimator });
}
