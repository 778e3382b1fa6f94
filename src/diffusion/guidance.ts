// Runs in the inference process and the CLI (pure math, no I/O).
// Composable noise estimators: classifier-free guidance (Ho & Salimans 2022), averaging and views
// (Visual Anagrams, Geng et al. 2024), frequency split (hybrid images / Factorized Diffusion).
// Composition concatenates requests, so one sampler step is one batched Denoiser call. A composite
// remembers how many requests each part made in its last `requests` call; `combine` must follow it.
import type { Lowpass } from './filters.ts';
import type { Conditioning, DenoiserOutput, Estimator, NoiseEstimate, Shape } from './types.ts';
import type { View } from './views/view.ts';

/** Conditional estimate: one UNet evaluation with `cond`. */
export function conditional(cond: Conditioning): Estimator {
  return {
    requests: (x) => [{ x, cond }],
    combine: (o) => ({ eps: o[0].eps, varValues: o[0].varValues }),
  };
}

/** Classifier-free guidance: eps = eps_u + s (eps_c - eps_u); uncond is the empty or the negative prompt; learned variance from the conditional branch. */
export function cfg(cond: Conditioning, uncond: Conditioning, scale: number): Estimator {
  return {
    requests: (x) => [
      { x, cond },
      { x, cond: uncond },
    ],
    combine: ([c, u]) => {
      const eps = new Float32Array(c.eps.length);
      for (let i = 0; i < eps.length; i++) eps[i] = u.eps[i] + scale * (c.eps[i] - u.eps[i]);
      return { eps, varValues: c.varValues };
    },
  };
}

/** Runs several estimators on one batch: requests concatenated, outputs split back in order. */
function fanOut(parts: readonly Estimator[]): {
  requests: Estimator['requests'];
  split: (outputs: DenoiserOutput[]) => NoiseEstimate[];
} {
  let counts: number[] | undefined;
  return {
    requests: (x, t) => {
      const lists = parts.map((p) => p.requests(x, t));
      counts = lists.map((l) => l.length);
      return lists.flat();
    },
    split: (outputs) => {
      if (!counts) throw new Error('combine called before requests');
      const total = counts.reduce((a, b) => a + b, 0);
      if (outputs.length !== total)
        throw new RangeError(`expected ${total} denoiser outputs, got ${outputs.length}`);
      let at = 0;
      return parts.map((p, i) => {
        const mine = outputs.slice(at, at + counts![i]);
        at += counts![i];
        return p.combine(mine);
      });
    },
  };
}

/** Mean of several estimates: eps = mean(eps_i) (varValues averaged when every part has them). */
export function average(estimators: readonly Estimator[]): Estimator {
  if (estimators.length === 0) throw new RangeError('average needs at least one estimator');
  const f = fanOut(estimators);
  return {
    requests: f.requests,
    combine: (outputs) => {
      const ests = f.split(outputs);
      return {
        eps: mean(ests.map((e) => e.eps)),
        varValues: ests.every((e) => e.varValues) ? mean(ests.map((e) => e.varValues!)) : undefined,
      };
    },
  };
}

/** Estimator seen through a view: requests on V x; eps <- V^-1 eps, varValues <- V^-1 (pixel part) varValues. */
export function withView(estimator: Estimator, view: View, shape: Shape): Estimator {
  return {
    requests: (x, t) => estimator.requests(view.apply(x, shape), t),
    combine: (outputs) => {
      const e = estimator.combine(outputs);
      const invVar = view.inverseVariance ?? view.inverse;
      return {
        eps: view.inverse(e.eps, shape),
        varValues: e.varValues ? invVar(e.varValues, shape) : undefined,
      };
    },
  };
}

/** Frequency split (hybrid images): eps = lowpass(eps_low) + highpass(eps_high), highpass(e) = e - lowpass(e); varValues averaged. */
export function frequencySplit(low: Estimator, high: Estimator, lowpass: Lowpass): Estimator {
  const f = fanOut([low, high]);
  return {
    requests: f.requests,
    combine: (outputs) => {
      const [l, h] = f.split(outputs);
      const ll = lowpass(l.eps);
      const hl = lowpass(h.eps);
      const eps = new Float32Array(l.eps.length);
      for (let i = 0; i < eps.length; i++) eps[i] = ll[i] + (h.eps[i] - hl[i]);
      return { eps, varValues: l.varValues && h.varValues ? mean([l.varValues, h.varValues]) : undefined };
    },
  };
}

function mean(arrays: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(arrays[0].length);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (const a of arrays) s += a[i];
    out[i] = s / arrays.length;
  }
  return out;
}
