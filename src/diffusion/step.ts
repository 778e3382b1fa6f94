// Runs in the inference process and the CLI (pure math, no I/O).
// The strided DDPM update t -> t' (Ho et al. 2020, eq. 7, with abar ratios for skipped steps) and
// its variance: the fixed posterior variance beta_tilde, or learned_range (Nichol & Dhariwal 2021).
//
// alpha = abar_t / abar_t', beta = 1 - alpha,
// x_t' = sqrt(abar_t') beta / (1 - abar_t) x0 + sqrt(alpha) (1 - abar_t') / (1 - abar_t) x_t + sigma z,
// beta_tilde = beta (1 - abar_t') / (1 - abar_t),
// learned_range: log sigma^2 = frac log(beta) + (1 - frac) log(max(beta_tilde, 1e-20)), frac = (v + 1) / 2
// (v clamped to [-1, 1]). The final step to t' = 0 is taken without noise by the loop.

export interface StepInput {
  xt: Float32Array;
  /** Predicted clean sample (already clipped if wanted). */
  x0: Float32Array;
  abarT: number;
  /** abar at the target timestep t'. */
  abarPrev: number;
  /** Standard normal noise z; omitted = no noise (the final step to t' = 0). */
  noise?: Float32Array;
  /** Learned variance channel v in [-1, 1]; omitted = fixed posterior variance beta_tilde. */
  varValues?: Float32Array;
}

/** Posterior variance of the strided step: beta_tilde = beta (1 - abar_t') / (1 - abar_t). */
export function posteriorVariance(abarT: number, abarPrev: number): number {
  const beta = 1 - abarT / abarPrev;
  return (beta * (1 - abarPrev)) / (1 - abarT);
}

/** One strided DDPM step x_t -> x_t' (posterior mean plus sigma z; sigma from beta_tilde or learned_range). */
export function ddpmStep({ xt, x0, abarT, abarPrev, noise, varValues }: StepInput): Float32Array {
  const n = xt.length;
  if (x0.length !== n || (noise && noise.length !== n) || (varValues && varValues.length !== n)) {
    throw new RangeError('ddpmStep: x_t, x0, noise and varValues must have the same length');
  }
  const alpha = abarT / abarPrev;
  const beta = 1 - alpha;
  const cx0 = (Math.sqrt(abarPrev) * beta) / (1 - abarT);
  const cxt = (Math.sqrt(alpha) * (1 - abarPrev)) / (1 - abarT);
  const betaTilde = (beta * (1 - abarPrev)) / (1 - abarT);
  const logMin = Math.log(Math.max(betaTilde, 1e-20));
  const logMax = Math.log(Math.max(beta, 1e-20));
  const sigmaFixed = Math.sqrt(Math.max(betaTilde, 0));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = cx0 * x0[i] + cxt * xt[i];
    if (noise) {
      let sigma = sigmaFixed;
      if (varValues) {
        const frac = (Math.min(1, Math.max(-1, varValues[i])) + 1) / 2;
        sigma = Math.exp(0.5 * (frac * logMax + (1 - frac) * logMin));
      }
      v += sigma * noise[i];
    }
    out[i] = v;
  }
  return out;
}
