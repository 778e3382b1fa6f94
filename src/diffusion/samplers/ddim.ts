// DDIM (Song, Meng & Ermon 2021, eq. 12): eta = 0 deterministic, eta = 1 the DDPM-like stochastic case.
import type { Sampler } from './sampler.ts';
import { epsFrom } from './sampler.ts';

/**
 * DDIM step (Song et al. 2021 eq. 12): x' = sqrt(abar') x0 + sqrt(1 - abar' - s^2) eps + s z,
 * s = eta sqrt((1 - abar') / (1 - abar)) sqrt(1 - abar / abar'); noise drawn only when s > 0.
 */
export function ddim(eta = 0): Sampler {
  if (!(eta >= 0)) throw new RangeError(`ddim eta must be >= 0, got ${eta}`);
  return {
    name: eta === 0 ? 'ddim' : `ddim-eta${eta}`,
    endsClean: true,
    step: ({ x, x0, abarT, abarNext, rng }) => {
      const eps = epsFrom(x, x0, abarT);
      const s = eta * Math.sqrt((1 - abarNext) / (1 - abarT)) * Math.sqrt(1 - abarT / abarNext);
      const a = Math.sqrt(abarNext);
      const d = Math.sqrt(Math.max(0, 1 - abarNext - s * s));
      const z = s > 0 ? rng.normal(x.length) : undefined;
      const out = new Float32Array(x.length);
      for (let i = 0; i < out.length; i++) out[i] = a * x0[i] + d * eps[i] + (z ? s * z[i] : 0);
      return { x: out };
    },
  };
}
