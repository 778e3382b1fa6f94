// Strided DDPM ancestral sampling (Ho et al. 2020, eq. 7 with abar ratios): the study's sampler and the default.
import { ddpmStep } from '../step.ts';
import type { Sampler } from './sampler.ts';

/** Strided DDPM (Ho et al. 2020 eq. 7): posterior mean plus beta_tilde (or learned_range) noise; the last step to t = 0 is noiseless. */
export const ddpm: Sampler = {
  name: 'ddpm',
  endsClean: false,
  step: ({ x, x0, abarT, abarNext, final, varValues, rng }) => {
    const noise = final ? undefined : rng.normal(x.length);
    return { x: ddpmStep({ xt: x, x0, abarT, abarPrev: abarNext, noise, varValues }) };
  },
};
