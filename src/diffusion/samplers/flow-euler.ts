// Runs in the inference process and the CLI (pure math, no I/O).
// Flow matching (Lipman et al. 2023; rectified flow, Liu et al. 2023) sampled with Euler steps, as
// diffusers' FlowMatchEulerDiscreteScheduler selects and steps it (SD3). Levels: x = (1 - s) x0 + s eps,
// the model predicts the velocity v = eps - x0, its timestep is s T.
import type { Level, Plan, Sampler } from './sampler.ts';
import { linspace } from './spacing.ts';

/** A flow level: alpha = 1 - s, sigma = s. */
export function flowLevel(s: number): Level {
  return { alpha: 1 - s, sigma: s };
}

/** The time shift of SD3 (Esser et al. 2024, eq. 23): s' = shift s / (1 + (shift - 1) s). */
export function shiftSigma(s: number, shift: number): number {
  return (shift * s) / (1 + (shift - 1) * s);
}

/**
 * FlowMatchEulerDiscreteScheduler set_timesteps: t = linspace(T s_max, T s_min, n) with s_max, s_min the
 * ends of the shifted training sigmas, s = shift(t / T) (diffusers shifts the already shifted ends once
 * more), model timestep s T, final sigma 0.
 */
export function flowPlan(steps: number, T: number, shift: number): Plan {
  if (!Number.isInteger(steps) || steps < 1 || steps > T) throw new RangeError(`steps must be an integer in 1..${T}, got ${steps}`);
  const sMax = Math.fround(shiftSigma(1, shift));
  const sMin = Math.fround(shiftSigma(Math.fround(1 / T), shift));
  const sig = linspace(sMax * T, sMin * T, steps).map((t) => Math.fround(shiftSigma(t / T, shift)));
  const all = [...sig, 0];
  return {
    steps: sig.map((s, i) => ({ t: Math.fround(s * T), at: flowLevel(s), to: flowLevel(all[i + 1]) })),
    noiseScale: 1,
    x0: {},
    prediction: 'flow_prediction',
    levelOf: (t: number) => flowLevel(t / T),
  };
}

/** Flow-matching Euler step: x' = x + (s' - s) v. */
export function flowEuler(settings: Record<string, unknown>): Sampler {
  const shift = Number(settings.shift);
  return {
    name: 'flow-euler',
    className: 'FlowMatchEulerDiscreteScheduler',
    plan: (steps, schedule) => flowPlan(steps, schedule.numTrainTimesteps, shift),
    step: ({ x, raw, step }) => {
      const d = step.to.sigma - step.at.sigma;
      const out = new Float32Array(x.length);
      for (let i = 0; i < out.length; i++) out[i] = x[i] + d * raw[i];
      return { x: out };
    },
  };
}
