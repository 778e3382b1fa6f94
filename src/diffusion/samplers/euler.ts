// Runs in the inference process and the CLI (pure math, no I/O).
// Euler (Karras et al. 2022, Algorithm 1 without churn) and Euler ancestral (k-diffusion
// sample_euler_ancestral) as diffusers' EulerDiscreteScheduler / EulerAncestralDiscreteScheduler
// select and step them. In k-space x_k = x / alpha, sigma_k = sigma / alpha.
import type { Schedule } from '../schedule.ts';
import { checkRange } from './ddpm.ts';
import type { Plan, Sampler } from './sampler.ts';
import { kLevel, kSigma, kSigmaOf } from './sampler.ts';
import { interpIndex, karrasSigmas, sigmaToT, spacedTimesteps } from './spacing.ts';
import { isStudy, studyPlan } from './study.ts';

/**
 * diffusers' Euler set_timesteps: timesteps by spacing (linspace keeps fractions), sigmas interpolated
 * at them (Karras sigmas over that range when use_karras_sigmas, with their fractional t), then the
 * final sigma (0, or sigma_min for final_sigmas_type "sigma_min"); float32 as diffusers stores them.
 * Start noise: init_noise_sigma = sigma_max (linspace, trailing) or sqrt(sigma_max^2 + 1) (leading).
 */
export function eulerPlan(steps: number, schedule: Schedule, settings: Record<string, unknown>): Plan {
  const T = schedule.numTrainTimesteps;
  const spacing = String(settings.timestep_spacing);
  let ts = spacedTimesteps(steps, T, spacing, Number(settings.steps_offset), false);
  checkRange(ts, T);
  const abar = Float64Array.from(schedule.alphasCumprod);
  if (settings.rescale_betas_zero_snr === true) abar[T - 1] = 2 ** -24;
  const all = Array.from(abar, kSigma);
  let sigmas = ts.map((t) => interpIndex(all, t));
  if (settings.use_karras_sigmas === true) {
    const lo = settings.sigma_min == null ? sigmas[sigmas.length - 1] : Number(settings.sigma_min);
    const hi = settings.sigma_max == null ? sigmas[0] : Number(settings.sigma_max);
    sigmas = karrasSigmas(steps, lo, hi);
    const logs = all.map(Math.log);
    ts = sigmas.map((s) => sigmaToT(s, logs));
  }
  const last = settings.final_sigmas_type === 'sigma_min' ? all[0] : 0;
  const s32 = [...sigmas, last].map((s) => Math.fround(s));
  const max = Math.max(...s32);
  const init = spacing === 'linspace' || spacing === 'trailing' ? max : Math.sqrt(max * max + 1);
  return {
    steps: ts.map((t, i) => ({ t: Math.fround(t), at: kLevel(s32[i]), to: kLevel(s32[i + 1]) })),
    noiseScale: init * kLevel(s32[0]).alpha,
    x0: {},
  };
}

/** Euler (Karras et al. 2022): x_k' = x_k + (x_k - x0) / s (s' - s); deterministic. */
export function euler(settings: Record<string, unknown>): Sampler {
  const study = isStudy(settings);
  return {
    name: 'euler',
    className: 'EulerDiscreteScheduler',
    plan: (steps, schedule) => (study ? studyPlan(steps, schedule, settings, true) : eulerPlan(steps, schedule, settings)),
    step: ({ x, x0, step }) => {
      const s = kSigmaOf(step.at);
      const sNext = kSigmaOf(step.to);
      const out = new Float32Array(x.length);
      for (let i = 0; i < out.length; i++) {
        const xk = x[i] / step.at.alpha;
        out[i] = step.to.alpha * (xk + ((xk - x0[i]) / s) * (sNext - s));
      }
      return { x: out };
    },
  };
}

/**
 * Euler ancestral (k-diffusion sample_euler_ancestral, eta 1): sigma_up = sqrt(s'^2 (s^2 - s'^2) / s^2),
 * sigma_down = sqrt(s'^2 - sigma_up^2), x_k' = x_k + (x_k - x0) / s (sigma_down - s) + sigma_up z.
 */
export function eulerAncestral(settings: Record<string, unknown>): Sampler {
  const study = isStudy(settings);
  return {
    name: 'euler-a',
    className: 'EulerAncestralDiscreteScheduler',
    plan: (steps, schedule) =>
      study
        ? studyPlan(steps, schedule, settings, true)
        : eulerPlan(steps, schedule, { ...settings, use_karras_sigmas: false, final_sigmas_type: 'zero' }),
    step: ({ x, x0, step, rng }) => {
      const s = kSigmaOf(step.at);
      const sNext = kSigmaOf(step.to);
      const up = Math.min(sNext, Math.sqrt((sNext * sNext * (s * s - sNext * sNext)) / (s * s)));
      const down = Math.sqrt(Math.max(0, sNext * sNext - up * up));
      const z = sNext > 0 ? rng.normal(x.length) : undefined;
      const out = new Float32Array(x.length);
      for (let i = 0; i < out.length; i++) {
        const xk = x[i] / step.at.alpha;
        let v = xk + ((xk - x0[i]) / s) * (down - s);
        if (z) v += up * z[i];
        out[i] = step.to.alpha * v;
      }
      return { x: out };
    },
  };
}
