// Runs in the inference process and the CLI (pure math, no I/O).
// DDPM ancestral sampling (Ho et al. 2020, eq. 7 with abar ratios for skipped steps), as diffusers'
// DDPMScheduler selects and steps it; the study's strided variant under timestep_spacing "strided".
import type { Schedule } from '../schedule.ts';
import { ddpmStep } from '../step.ts';
import { bounding } from './bounding.ts';
import type { Plan, Sampler } from './sampler.ts';
import { abarOf } from './sampler.ts';
import { spacedTimesteps } from './spacing.ts';
import { isStudy, listPlan, studyPlan } from './study.ts';

/**
 * DDPMScheduler (Ho et al. 2020): the model runs at the spaced timesteps; each step goes to the next
 * one (the last to abar = 1) with the posterior mean plus beta_tilde (or learned_range) noise; no noise
 * on the last step. Strided: the study's list, the last step landing on abar_0.
 */
export function ddpm(settings: Record<string, unknown>): Sampler {
  const study = isStudy(settings);
  return {
    name: 'ddpm',
    className: 'DDPMScheduler',
    plan(steps: number, schedule: Schedule): Plan {
      if (study) return studyPlan(steps, schedule, settings, false);
      const T = schedule.numTrainTimesteps;
      const ts = spacedTimesteps(steps, T, String(settings.timestep_spacing), Number(settings.steps_offset));
      checkRange(ts, T);
      return listPlan([...ts, -1], schedule, true, bounding(settings));
    },
    step: ({ x, x0, step, final, varValues, rng }) => {
      const noise = final ? undefined : rng.normal(x.length);
      return { x: ddpmStep({ xt: x, x0, abarT: abarOf(step.at), abarPrev: abarOf(step.to), noise, varValues }) };
    },
  };
}

/** Throws unless every timestep is a train timestep (leading with a large steps_offset can overflow). */
export function checkRange(ts: readonly number[], T: number): void {
  const bad = ts.find((t) => t < 0 || t > T - 1);
  if (bad !== undefined) throw new RangeError(`timestep ${bad} is outside 0..${T - 1} (check steps_offset)`);
}

