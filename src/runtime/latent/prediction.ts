// Model parameterisations other than epsilon, converted to epsilon for the sampler.
import { makeSchedule, type SchedulerConfig } from '../../diffusion/schedule.ts';
import type { Denoiser } from '../../diffusion/types.ts';

/**
 * v-prediction (Salimans & Ho 2022, v = sqrt(abar_t) eps - sqrt(1 - abar_t) x0) to epsilon:
 * eps = sqrt(abar_t) v + sqrt(1 - abar_t) x_t, per request at the call's timestep.
 */
export function epsilonFromV(denoiser: Denoiser, scheduler: SchedulerConfig): Denoiser {
  const abar = makeSchedule(scheduler).alphasCumprod;
  return async (t, batch, signal) => {
    const outputs = await denoiser(t, batch, signal);
    const a = Math.sqrt(abar[t]);
    const s = Math.sqrt(1 - abar[t]);
    return outputs.map((o, i) => {
      const x = batch[i].x;
      const eps = new Float32Array(o.eps.length);
      for (let j = 0; j < eps.length; j++) eps[j] = a * o.eps[j] + s * x[j];
      return { ...o, eps };
    });
  };
}

/** The denoiser in epsilon form for a scheduler's prediction_type ('epsilon' passes through). */
export function asEpsilonDenoiser(
  denoiser: Denoiser,
  scheduler: SchedulerConfig & { prediction_type?: string },
): Denoiser {
  return scheduler.prediction_type === 'v_prediction' ? epsilonFromV(denoiser, scheduler) : denoiser;
}
