// Runs in the inference process and the CLI (pure math, no I/O).
// The sampler contract. A sampler is what a diffusers scheduler class is, without hidden state: it
// selects its timesteps (`plan`, diffusers' set_timesteps) and takes one step from the model's output
// (`step`, pure: what a multistep method keeps is returned and passed back in by the loop).
//
// Notation: a noise level is x_t = alpha x0 + sigma eps. VP (DDPM) levels: alpha = sqrt(abar),
// sigma = sqrt(1 - abar). k-diffusion's sigma is sigma / alpha and its x is x_t / alpha; the loop
// always holds x in VP form, which is what diffusers' scale_model_input hands to the model.
import type { Rng } from '../rng.ts';
import type { Schedule } from '../schedule.ts';

/** x = alpha x0 + sigma eps. Clean: alpha 1, sigma 0. */
export interface Level {
  alpha: number;
  sigma: number;
  /** abar = alpha^2, kept exact where the level came from alphas_cumprod. */
  abar?: number;
}

/** One model call of a plan. */
export interface PlanStep {
  /** The model's timestep input (fractional where the scheduler interpolates sigmas). */
  t: number;
  /** Level of x when the model sees it. */
  at: Level;
  /** Level x lands on after the step. */
  to: Level;
  /** Take a first-order step here (DPM-Solver's lower_order_final / euler_at_final). */
  firstOrder?: boolean;
  /** PNDM: level the update starts from (the Runge-Kutta / averaging base). */
  base?: Level;
  /** PNDM: Runge-Kutta sub-step 0..3 (skip_prk_steps false), or 'average' (the repeated first timestep). */
  pndm?: number | 'average';
}

/** How the clean estimate is bounded before the step (diffusers' clip_sample / thresholding). */
export interface X0Processing {
  /** Clip x0 to [-clip, clip] (clip_sample with clip_sample_range). */
  clip?: number;
  /** Dynamic thresholding (Saharia et al. 2022): s = clamp(quantile(|x0|, ratio), 1, maxValue), x0 = clamp(x0, -s, s) / s. */
  threshold?: { ratio: number; maxValue: number };
  /** Re-derive eps from the bounded x0 (use_clipped_model_output; the study's samplers). */
  epsFromX0?: boolean;
}

/** What a sampler selects for `steps` inference steps: its model calls in order. */
export interface Plan {
  steps: PlanStep[];
  /** Start noise scale in VP form (diffusers' init_noise_sigma times the first alpha; 1 for VP samplers). */
  noiseScale: number;
  x0: X0Processing;
  /** What the model predicts when the class fixes it (flow matching: the velocity); else the config's prediction_type. */
  prediction?: PredictionType;
  /** The level of a model timestep, where it is not the VP level of alphas_cumprod (flow matching: s = t / T). */
  levelOf?: (t: number) => Level;
}

export interface SamplerStepInput {
  /** Index of this step in the run (0 = first model call of this run). */
  index: number;
  step: PlanStep;
  /** x at step.at. */
  x: Float32Array;
  /** The model's output as its prediction type gives it (after guidance). */
  raw: Float32Array;
  /** eps and the (processed) clean estimate at step.at. */
  eps: Float32Array;
  x0: Float32Array;
  prediction: PredictionType;
  /** The last step of the run. */
  final: boolean;
  /** Learned variance channel v in [-1, 1] (DDPM learned_range). */
  varValues?: Float32Array;
  /** The seeded generator: the only source of noise, drawn in step order. */
  rng: Rng;
  /** What the previous step returned; undefined on the first. */
  state?: unknown;
}

export interface SamplerStepOutput {
  x: Float32Array;
  state?: unknown;
}

/** A sampler: its name, the diffusers class it reproduces, its timestep selection and its step. */
export interface Sampler {
  readonly name: string;
  readonly className: string;
  plan(steps: number, schedule: Schedule): Plan;
  step(s: SamplerStepInput): SamplerStepOutput;
}

export const PREDICTION_TYPES = ['epsilon', 'v_prediction', 'sample', 'flow_prediction'] as const;
export type PredictionType = (typeof PREDICTION_TYPES)[number];

/** VP level of abar: alpha = sqrt(abar), sigma = sqrt(1 - abar). */
export function vpLevel(abar: number): Level {
  return { alpha: Math.sqrt(abar), sigma: Math.sqrt(Math.max(0, 1 - abar)), abar };
}

/** VP level of a k-diffusion sigma s: alpha = 1 / sqrt(s^2 + 1), sigma = s alpha. */
export function kLevel(s: number): Level {
  const alpha = 1 / Math.sqrt(s * s + 1);
  return { alpha, sigma: s * alpha };
}

/** abar of a level (alpha^2). */
export function abarOf(l: Level): number {
  return l.abar ?? l.alpha * l.alpha;
}

/** k-diffusion's sigma of a level: sigma / alpha. */
export function kSigmaOf(l: Level): number {
  return l.sigma / l.alpha;
}

/** k-diffusion's sigma of a noise level: sqrt((1 - abar) / abar). */
export function kSigma(abar: number): number {
  return Math.sqrt((1 - abar) / abar);
}

/**
 * eps and x0 from a model output at level (a, s): epsilon: x0 = (x - s eps) / a; v (Salimans & Ho 2022,
 * v = a eps - s x0): x0 = a x - s v, eps = a v + s x; sample: x0 = output, eps = (x - a x0) / s;
 * flow (velocity v = eps - x0 on x = (1 - s) x0 + s eps): x0 = x - s v, eps = x + (1 - s) v.
 */
export function fromPrediction(type: PredictionType, out: Float32Array, x: Float32Array, l: Level): { eps: Float32Array; x0: Float32Array } {
  const { alpha: a, sigma: s } = l;
  const eps = new Float32Array(x.length);
  const x0 = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    if (type === 'epsilon') {
      eps[i] = out[i];
      x0[i] = (x[i] - s * out[i]) / a;
    } else if (type === 'v_prediction') {
      x0[i] = a * x[i] - s * out[i];
      eps[i] = a * out[i] + s * x[i];
    } else if (type === 'flow_prediction') {
      x0[i] = x[i] - s * out[i];
      eps[i] = x[i] + a * out[i];
    } else {
      x0[i] = out[i];
      eps[i] = (x[i] - a * out[i]) / s;
    }
  }
  return { eps, x0 };
}

/** torch.quantile (linear interpolation) of |v|. */
function absQuantile(v: Float32Array, q: number): number {
  const s = Float64Array.from(v, Math.abs).sort();
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (pos - lo) * (s[hi] - s[lo]);
}

/** Bound x0 in place: dynamic thresholding (Saharia et al. 2022, Imagen) when set, else clipping to [-clip, clip]. */
export function processX0(x0: Float32Array, p: X0Processing): void {
  if (p.threshold) {
    const s = Math.min(p.threshold.maxValue, Math.max(1, absQuantile(x0, p.threshold.ratio)));
    for (let i = 0; i < x0.length; i++) x0[i] = Math.min(s, Math.max(-s, x0[i])) / s;
  } else if (p.clip !== undefined) {
    const c = p.clip;
    for (let i = 0; i < x0.length; i++) x0[i] = Math.min(c, Math.max(-c, x0[i]));
  }
}

/** eps implied by x and x0 at a level: (x - alpha x0) / sigma. */
export function epsFrom(x: Float32Array, x0: Float32Array, l: Level): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - l.alpha * x0[i]) / l.sigma;
  return out;
}

/** The DDIM-form move (Song et al. 2021 eq. 12, eta 0) from eps and x0 to a level: x' = alpha' x0 + sigma' eps. */
export function moveTo(x0: Float32Array, eps: Float32Array, to: Level): Float32Array {
  const out = new Float32Array(x0.length);
  for (let i = 0; i < out.length; i++) out[i] = to.alpha * x0[i] + to.sigma * eps[i];
  return out;
}
