// Karras et al. 2022 (eq. 5) noise levels, mapped to the schedule's integer timesteps.
import type { Schedule } from '../schedule.ts';
import { kSigma } from './sampler.ts';

/** Karras sigmas: (smax^(1/rho) + i/(n-1) (smin^(1/rho) - smax^(1/rho)))^rho, i = 0 .. n-1. */
export function karrasSigmas(n: number, sigmaMin: number, sigmaMax: number, rho = 7): number[] {
  const lo = sigmaMin ** (1 / rho);
  const hi = sigmaMax ** (1 / rho);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((hi + (n === 1 ? 0 : i / (n - 1)) * (lo - hi)) ** rho);
  return out;
}

/**
 * Respace a descending list ending at 0 by Karras sigmas between the sigmas of its first and last
 * evaluated timesteps: each sigma goes to the timestep nearest in log sigma, kept strictly
 * descending (same step count), then 0.
 */
export function karrasTimesteps(base: readonly number[], schedule: Schedule): number[] {
  const steps = base.length - 1;
  if (steps < 2) return [...base];
  const first = base[0];
  const last = base[steps - 1];
  const logSig = Array.from(schedule.alphasCumprod, (a) => Math.log(kSigma(a)));
  const sigmas = karrasSigmas(steps, Math.exp(logSig[last]), Math.exp(logSig[first]));
  const out: number[] = [];
  for (const [i, sig] of sigmas.entries()) {
    const target = Math.log(sig);
    let best = last;
    for (let t = last; t <= first; t++)
      if (Math.abs(logSig[t] - target) < Math.abs(logSig[best] - target)) best = t;
    // Keep strictly descending and leave room for the steps still to come (each at least 1 apart, above 0).
    const cap = i === 0 ? first : out[i - 1] - 1;
    out.push(Math.max(Math.min(best, cap), steps - i));
  }
  out.push(0);
  return out;
}
