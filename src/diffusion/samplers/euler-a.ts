// Euler ancestral, as k-diffusion's sample_euler_ancestral (Karras et al. 2022 sigma form, eta 1).
import type { Sampler } from './sampler.ts';
import { kSigma } from './sampler.ts';

/**
 * Euler ancestral (k-diffusion sample_euler_ancestral): in k-space x_k = x / alpha, with
 * sigma_up = min(s', eta sqrt(s'^2 (s^2 - s'^2) / s^2)), sigma_down = sqrt(s'^2 - sigma_up^2):
 * x_k' = x_k + (x_k - x0) / s (sigma_down - s) + sigma_up z (no noise when s' = 0); x' = alpha' x_k'.
 */
export function eulerAncestral(eta = 1): Sampler {
  return {
    name: 'euler-a',
    endsClean: true,
    step: ({ x, x0, abarT, abarNext, rng }) => {
      const a = Math.sqrt(abarT);
      const aNext = Math.sqrt(abarNext);
      const s = kSigma(abarT);
      const sNext = abarNext >= 1 ? 0 : kSigma(abarNext);
      const up = Math.min(sNext, eta * Math.sqrt((sNext * sNext * (s * s - sNext * sNext)) / (s * s)));
      const down = Math.sqrt(Math.max(0, sNext * sNext - up * up));
      const z = sNext > 0 ? rng.normal(x.length) : undefined;
      const out = new Float32Array(x.length);
      for (let i = 0; i < out.length; i++) {
        const xk = x[i] / a;
        const d = (xk - x0[i]) / s;
        let v = xk + d * (down - s);
        if (z) v += up * z[i];
        out[i] = aNext * v;
      }
      return { x: out };
    },
  };
}
