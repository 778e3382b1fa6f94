// Runs in the inference process and the CLI (pure math, no I/O).
// DDIM (Song, Meng & Ermon 2021, eq. 12) as diffusers' DDIMScheduler selects and steps it.
import type { Schedule } from '../schedule.ts';
import { bounding } from './bounding.ts';
import type { Level, Plan, Sampler } from './sampler.ts';
import { abarOf, vpLevel } from './sampler.ts';
import { spacedTimesteps } from './spacing.ts';
import { CLEAN, isStudy, studyPlan } from './study.ts';
import { checkRange } from './ddpm.ts';

/**
 * DDIMScheduler: the model runs at the spaced timesteps; step t goes to t - floor(T/n) (below 0:
 * abar = 1 with set_alpha_to_one, else abar_0), x' = sqrt(abar') x0 + sqrt(1 - abar' - s^2) eps + s z,
 * s = eta sqrt((1 - abar') / (1 - abar)) sqrt(1 - abar / abar'); noise only when s > 0.
 */
export function ddim(settings: Record<string, unknown>, eta = 0): Sampler {
  if (!(eta >= 0)) throw new RangeError(`ddim eta must be >= 0, got ${eta}`);
  const study = isStudy(settings);
  return {
    name: eta === 0 ? 'ddim' : `ddim-eta${eta}`,
    className: 'DDIMScheduler',
    plan(steps: number, schedule: Schedule): Plan {
      if (study) return studyPlan(steps, schedule, settings, true);
      const T = schedule.numTrainTimesteps;
      const ts = spacedTimesteps(steps, T, String(settings.timestep_spacing), Number(settings.steps_offset));
      checkRange(ts, T);
      const final: Level = settings.set_alpha_to_one === true ? CLEAN : vpLevel(schedule.alphasCumprod[0]);
      const ratio = Math.floor(T / steps);
      const at = (t: number): Level => (t >= 0 ? vpLevel(schedule.alphasCumprod[t]) : final);
      return { steps: ts.map((t) => ({ t, at: at(t), to: at(t - ratio) })), noiseScale: 1, x0: bounding(settings) };
    },
    step: ({ x0, eps, step, rng }) => {
      const abarT = abarOf(step.at);
      const abarNext = abarOf(step.to);
      const s = eta * Math.sqrt((1 - abarNext) / (1 - abarT)) * Math.sqrt(1 - abarT / abarNext);
      const a = Math.sqrt(abarNext);
      const d = Math.sqrt(Math.max(0, 1 - abarNext - s * s));
      const z = s > 0 ? rng.normal(x0.length) : undefined;
      const out = new Float32Array(x0.length);
      for (let i = 0; i < out.length; i++) out[i] = a * x0[i] + d * eps[i] + (z ? s * z[i] : 0);
      return { x: out };
    },
  };
}
