// Runs in the inference process and the CLI (pure math, no I/O).
// The project's Karras variant (Karras et al. 2022, eq. 5 sigmas snapped to integer timesteps of the
// study's list range). On the cosine schedule at 4 steps it is closer to the exact ODE solution than
// diffusers' full-range Karras sigmas, so the bundled model keeps it (timestep_spacing "strided").
import type { Schedule } from '../schedule.ts';
import { kSigma } from './sampler.ts';
import { karrasSigmas } from './spacing.ts';

export { karrasSigmas } from './spacing.ts';

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
