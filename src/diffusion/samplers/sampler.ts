// The sampler contract: one stateless update x_t -> x_t' over the one sampling loop (k-diffusion
// style). The loop evaluates the (wrapped) estimator at t, turns it into the clean estimate x0,
// and hands x, x0 and the two noise levels to the sampler. Multistep methods get the previous
// step's x0 back as `history` (returned by the previous call and passed in explicitly).
//
// Notation (VP, as in the schedule): abar = alphas_cumprod, alpha = sqrt(abar), sigma_vp = sqrt(1 - abar);
// k-diffusion's sigma = sqrt((1 - abar) / abar), its x = x_t / alpha.
import type { Rng } from '../rng.ts';
import type { Schedule } from '../schedule.ts';

/** What a multistep sampler keeps from one step to the next. */
export interface SamplerHistory {
  /** The clean estimate of the previous step. */
  x0: Float32Array;
  /** abar at the previous step's timestep. */
  abar: number;
}

export interface SamplerStepInput {
  /** x at the current timestep t. */
  x: Float32Array;
  /** Clean estimate x0 at t (clipped when the loop clips); eps is (x - sqrt(abarT) x0) / sqrt(1 - abarT). */
  x0: Float32Array;
  abarT: number;
  /** abar at the next timestep; 1 (sigma = 0) on the final step of a sampler that ends clean. */
  abarNext: number;
  /** The step to t' = 0: no noise is added. */
  final: boolean;
  /** Learned variance channel (DDPM only uses it). */
  varValues?: Float32Array;
  /** The seeded generator: the only source of noise, drawn in step order. */
  rng: Rng;
  /** What the previous step returned; undefined on the first step. */
  history?: SamplerHistory;
}

export interface SamplerStepOutput {
  /** x at the next timestep. */
  x: Float32Array;
  /** Passed back as `history` on the next step. */
  history?: SamplerHistory;
}

/** A sampler: a pure update rule, plus how it spaces the timesteps and where its last step lands. */
export interface Sampler {
  readonly name: string;
  /** True: the last step lands on the clean estimate (sigma = 0, abar = 1); false: on abar at t = 0 (DDPM). */
  readonly endsClean: boolean;
  /** Respaces a descending timestep list ending at 0 (Karras sigmas); absent = use the list as given. */
  timesteps?(base: readonly number[], schedule: Schedule): number[];
  step(s: SamplerStepInput): SamplerStepOutput;
}

/** eps implied by x and x0 at abar: (x - sqrt(abar) x0) / sqrt(1 - abar). */
export function epsFrom(x: Float32Array, x0: Float32Array, abar: number): Float32Array {
  const a = Math.sqrt(abar);
  const s = Math.sqrt(1 - abar);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - a * x0[i]) / s;
  return out;
}

/** k-diffusion's sigma of a noise level: sqrt((1 - abar) / abar). */
export function kSigma(abar: number): number {
  return Math.sqrt((1 - abar) / abar);
}
