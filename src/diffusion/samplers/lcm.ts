// Runs in the inference process and the CLI (pure math, no I/O).
// Latent Consistency Models (Luo et al. 2023) multistep sampling as diffusers' LCMScheduler selects
// and steps it: skip-step timesteps from the distillation's original schedule, the consistency
// boundary scalings c_skip / c_out, and fresh noise to the next timestep.
import type { Schedule } from '../schedule.ts';
import { bounding } from './bounding.ts';
import type { Level, Plan, Sampler } from './sampler.ts';
import { vpLevel } from './sampler.ts';
import { CLEAN, isStudy, studyPlan } from './study.ts';

/**
 * LCMScheduler set_timesteps: the original schedule k i - 1 (k = floor(T / original_inference_steps),
 * i = 1 .. original steps), reversed, at indices floor(linspace(0, len, n, endpoint false)); each step
 * goes to the next one; the last returns the denoised sample.
 */
export function lcmTimesteps(steps: number, T: number, originalSteps: number): number[] {
  if (originalSteps > T) throw new RangeError(`original_inference_steps ${originalSteps} is above num_train_timesteps ${T}`);
  const k = Math.floor(T / originalSteps);
  const origin = Array.from({ length: originalSteps }, (_, i) => (i + 1) * k - 1).reverse();
  if (!Number.isInteger(steps) || steps < 1 || steps > originalSteps)
    throw new RangeError(`LCM takes 1..${originalSteps} steps (original_inference_steps), got ${steps}`);
  return Array.from({ length: steps }, (_, i) => origin[Math.floor((i * origin.length) / steps)]);
}

/** Consistency boundary scalings (Song et al. 2023 "Consistency Models"): c_skip = sd^2 / (u^2 + sd^2), c_out = u / sqrt(u^2 + sd^2), u = t timestep_scaling, sd = 0.5. */
export function lcmScalings(t: number, scaling: number): { cSkip: number; cOut: number } {
  const u = t * scaling;
  const sd2 = 0.25;
  return { cSkip: sd2 / (u * u + sd2), cOut: u / Math.sqrt(u * u + sd2) };
}

/** LCM step: denoised = c_out x0 + c_skip x; x' = sqrt(abar') denoised + sqrt(1 - abar') z, the last step returns denoised. */
export function lcm(settings: Record<string, unknown>): Sampler {
  const study = isStudy(settings);
  const scaling = Number(settings.timestep_scaling);
  return {
    name: 'lcm',
    className: 'LCMScheduler',
    plan(steps: number, schedule: Schedule): Plan {
      if (study) return studyPlan(steps, schedule, settings, true);
      const T = schedule.numTrainTimesteps;
      const ts = lcmTimesteps(steps, T, Number(settings.original_inference_steps));
      // The last step returns the denoised sample itself (set_alpha_to_one has no effect there, as in diffusers).
      const lv = (i: number): Level => (i < ts.length ? vpLevel(schedule.alphasCumprod[ts[i]]) : CLEAN);
      return { steps: ts.map((t, i) => ({ t, at: lv(i), to: lv(i + 1) })), noiseScale: 1, x0: bounding(settings) };
    },
    step: ({ x, x0, step, final, rng }) => {
      const { cSkip, cOut } = lcmScalings(step.t, scaling);
      const out = new Float32Array(x.length);
      for (let i = 0; i < out.length; i++) out[i] = cOut * x0[i] + cSkip * x[i];
      if (final) return { x: out };
      const z = rng.normal(x.length);
      for (let i = 0; i < out.length; i++) out[i] = step.to.alpha * out[i] + step.to.sigma * z[i];
      return { x: out };
    },
  };
}
