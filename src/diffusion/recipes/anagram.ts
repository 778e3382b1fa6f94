// Runs in the inference process and the CLI (pure math, no I/O).
import type { X0Refiner } from '../coarse-prior.ts';
import { average, withView } from '../guidance.ts';
import { sampleLoop } from '../loop.ts';
import type { Conditioning, Estimator, Shape } from '../types.ts';
import { getView } from '../views/registry.ts';
import type { View } from '../views/view.ts';
import type { Guidance, RecipeBase } from './common.ts';
import { guided, loopBase, planOf, startNoise, withPrior } from './common.ts';

export interface AnagramOptions extends RecipeBase, Guidance {
  /** Prompt for the image as is. */
  upright: Conditioning;
  /** Prompt for the image seen through the view. */
  transformed: Conditioning;
  /** A View or a registry name; default "flip" (upside down). */
  view?: View | string;
  /** The upright prompt's coarse data prior, when the model has one for it. */
  uprightPrior?: X0Refiner;
  /** The transformed prompt's coarse data prior: it lays out the image as seen through the view. */
  transformedPrior?: X0Refiner;
}

/** One view of an anagram: its prompt, the view, and optionally that prompt's estimator wrapper (its coarse prior), applied in the view's frame. */
export interface AnagramPart {
  cond: Conditioning;
  view: View;
  wrap?: (e: Estimator) => Estimator;
}

/**
 * Visual anagrams (Geng et al. 2024): eps = mean_i V_i^-1(w_i(eps_i)(V_i x)), each eps_i CFG'd and
 * wrapped (w_i: its prompt's prior) before the inverse view, so each prompt's prior lays out the
 * picture as that view sees it.
 */
export function anagramEstimator(parts: ReadonlyArray<AnagramPart>, g: Guidance, shape: Shape): Estimator {
  return average(parts.map((p) => withView((p.wrap ?? ((e) => e))(guided(p.cond, g)), p.view, shape)));
}

/** Two-view anagram: eps = (eps_1(x) + V^-1(eps_2(V x))) / 2, each prompt with its own prior when given. */
export async function anagram(o: AnagramOptions): Promise<Float32Array> {
  const view = typeof o.view === 'string' ? getView(o.view) : (o.view ?? getView('flip'));
  const plan = planOf(o);
  const x = startNoise(o, plan);
  view.apply(x, o.shape); // fails fast when the view does not fit the shape (e.g. rotate90 on non-square)
  const estimator = anagramEstimator(
    [
      { cond: o.upright, view: getView('identity'), wrap: (e) => withPrior(e, o.uprightPrior, o, plan) },
      { cond: o.transformed, view, wrap: (e) => withPrior(e, o.transformedPrior, o, plan) },
    ],
    o,
    o.shape,
  );
  return sampleLoop({ ...loopBase(o), x, plan, estimator });
}
