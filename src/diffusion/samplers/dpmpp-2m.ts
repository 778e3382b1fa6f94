// DPM-Solver++(2M) (Lu et al. 2022, Algorithm 2): second-order multistep in the data (x0) prediction.
import type { Sampler } from './sampler.ts';
import { karrasTimesteps } from './karras.ts';

/** lambda = log(alpha / sigma_vp) = log(sqrt(abar / (1 - abar))). */
function lambdaOf(abar: number): number {
  return 0.5 * Math.log(abar / (1 - abar));
}

/**
 * DPM-Solver++(2M) (Lu et al. 2022 Algorithm 2): x' = (sigma'/sigma) x - alpha' (e^-h - 1) D,
 * h = lambda' - lambda, D = x0 on the first step, else (1 + 1/2r) x0 - (1/2r) x0_prev with
 * r = h_prev / h; the final step to sigma = 0 is first order (x' = x0), as k-diffusion and diffusers
 * (lower_order_final) take it. `karras`: timesteps respaced by Karras et al. 2022's sigmas (rho 7).
 */
export function dpmpp2m(karras = false): Sampler {
  return {
    name: karras ? 'dpmpp-2m-karras' : 'dpmpp-2m',
    endsClean: true,
    timesteps: karras ? karrasTimesteps : undefined,
    step: ({ x, x0, abarT, abarNext, final, history }) => {
      const out = new Float32Array(x.length);
      const next = { x0, abar: abarT };
      if (final || abarNext >= 1) {
        out.set(x0);
        return { x: out, history: next };
      }
      const lam = lambdaOf(abarT);
      const h = lambdaOf(abarNext) - lam;
      const ratio = Math.sqrt(1 - abarNext) / Math.sqrt(1 - abarT);
      const c = -Math.sqrt(abarNext) * Math.expm1(-h);
      if (!history) {
        for (let i = 0; i < out.length; i++) out[i] = ratio * x[i] + c * x0[i];
      } else {
        const r = (lam - lambdaOf(history.abar)) / h;
        const w = 1 / (2 * r);
        const prev = history.x0;
        for (let i = 0; i < out.length; i++) out[i] = ratio * x[i] + c * ((1 + w) * x0[i] - w * prev[i]);
      }
      return { x: out, history: next };
    },
  };
}
