// Runs in the inference process and the CLI (pure math, no I/O).
// Noise schedules (DDPM, Ho et al. 2020; cosine: Nichol & Dhariwal 2021) from a diffusers-style
// scheduler config. Notation: betas = beta_t, alphas = 1 - beta_t, alphasCumprod = abar_t.

/** The subset of a diffusers `scheduler_config.json` this module reads; other keys are ignored. */
export interface SchedulerConfig {
  beta_schedule?: string;
  num_train_timesteps?: number;
  beta_start?: number;
  beta_end?: number;
  trained_betas?: readonly number[] | null;
  /** Rescale betas to zero terminal SNR (Lin et al. 2024, Algorithm 1). */
  rescale_betas_zero_snr?: boolean;
  [key: string]: unknown;
}

export interface Schedule {
  /** beta_t, t = 0 .. numTrainTimesteps - 1. */
  betas: Float64Array;
  /** alpha_t = 1 - beta_t. */
  alphas: Float64Array;
  /** abar_t = prod_{s <= t} alpha_s. */
  alphasCumprod: Float64Array;
  numTrainTimesteps: number;
}

export const BETA_SCHEDULES = ['squaredcos_cap_v2', 'linear', 'scaled_linear'] as const;

function linspace(a: number, b: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = n === 1 ? a : a + ((b - a) * i) / (n - 1);
  return out;
}

/** Cosine betas as diffusers `betas_for_alpha_bar`: beta_i = min(1 - abar((i+1)/T) / abar(i/T), maxBeta). */
export function cosineBetas(numTrain: number, maxBeta = 0.999): Float64Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  const betas = new Float64Array(numTrain);
  for (let i = 0; i < numTrain; i++) {
    betas[i] = Math.min(1 - alphaBar((i + 1) / numTrain) / alphaBar(i / numTrain), maxBeta);
  }
  return betas;
}

/**
 * Zero terminal SNR (Lin et al. 2024, "Common Diffusion Noise Schedules and Sample Steps are Flawed",
 * Algorithm 1): shift and scale sqrt(abar) so that it ends at 0 and keeps its first value.
 */
export function rescaleZeroTerminalSnr(betas: Float64Array): Float64Array {
  const n = betas.length;
  const root = new Float64Array(n);
  let prod = 1;
  for (let i = 0; i < n; i++) {
    prod *= 1 - betas[i];
    root[i] = Math.sqrt(prod);
  }
  const first = root[0];
  const last = root[n - 1];
  const out = new Float64Array(n);
  let prev = 1;
  for (let i = 0; i < n; i++) {
    const abar = ((root[i] - last) * (first / (first - last))) ** 2;
    out[i] = 1 - (i === 0 ? abar : abar / prev);
    prev = abar;
  }
  return out;
}

/** Build betas, alphas and abar (alphas_cumprod) from a diffusers scheduler config (defaults as DDPMScheduler: linear, 1000, 1e-4, 0.02). */
export function makeSchedule(config: SchedulerConfig = {}): Schedule {
  const kind = config.beta_schedule ?? 'linear';
  const betaStart = config.beta_start ?? 0.0001;
  const betaEnd = config.beta_end ?? 0.02;
  let betas: Float64Array;
  if (config.trained_betas && config.trained_betas.length > 0) {
    betas = Float64Array.from(config.trained_betas);
  } else {
    const n = config.num_train_timesteps ?? 1000;
    if (!Number.isInteger(n) || n < 2)
      throw new RangeError(`num_train_timesteps must be an integer >= 2, got ${n}`);
    if (kind === 'squaredcos_cap_v2') betas = cosineBetas(n);
    else if (kind === 'linear') betas = linspace(betaStart, betaEnd, n);
    else if (kind === 'scaled_linear')
      betas = linspace(Math.sqrt(betaStart), Math.sqrt(betaEnd), n).map((b) => b * b);
    else throw new RangeError(`unknown beta_schedule "${kind}"; supported: ${BETA_SCHEDULES.join(', ')}`);
  }
  if (config.rescale_betas_zero_snr === true) betas = rescaleZeroTerminalSnr(betas);
  const n = betas.length;
  const alphas = new Float64Array(n);
  const alphasCumprod = new Float64Array(n);
  let prod = 1;
  for (let i = 0; i < n; i++) {
    alphas[i] = 1 - betas[i];
    prod *= alphas[i];
    alphasCumprod[i] = prod;
  }
  return { betas, alphas, alphasCumprod, numTrainTimesteps: n };
}

export { stridedTimesteps } from './samplers/spacing.ts';

/** The study's noise levels are start indices into the strided list: i_start 1,3,5,7,10,20 -> t 960,900,840,780,690,390. */
export const STUDY_NOISE_LEVELS: readonly number[] = [1, 3, 5, 7, 10, 20];

/** Timestep at start index `iStart` of a descending timestep list (SDEdit noise level). */
export function timestepAtIndex(timesteps: readonly number[], iStart: number): number {
  if (!Number.isInteger(iStart) || iStart < 0 || iStart >= timesteps.length - 1) {
    throw new RangeError(`start index must be an integer in 0..${timesteps.length - 2}, got ${iStart}`);
  }
  return timesteps[iStart];
}

/** Index of the entry of a descending timestep list nearest to t (ties go to the larger t). */
export function nearestTimestepIndex(timesteps: readonly number[], t: number): number {
  let best = 0;
  for (let i = 1; i < timesteps.length; i++) {
    if (Math.abs(timesteps[i] - t) < Math.abs(timesteps[best] - t)) best = i;
  }
  return best;
}

/** Validate a timestep against a schedule; returns abar_t. */
export function abarAt(schedule: Schedule, t: number): number {
  if (!Number.isInteger(t) || t < 0 || t >= schedule.numTrainTimesteps) {
    throw new RangeError(`timestep must be an integer in 0..${schedule.numTrainTimesteps - 1}, got ${t}`);
  }
  return schedule.alphasCumprod[t];
}
