// Runs in the inference process and the CLI (pure math, no I/O).
// The study's timestep selection (timestep_spacing "strided", this project's extension): the strided
// list 990, 960, ..., 0 with the predicted x0 clipped and eps re-derived from it, for every sampler.
// The bundled model opts into it in its manifest; pulled models sample as diffusers does.
import type { Schedule } from '../schedule.ts';
import { karrasTimesteps } from './karras.ts';
import { type Level, type Plan, type X0Processing, vpLevel } from './sampler.ts';
import { stridedTimesteps } from './spacing.ts';

export const CLEAN: Level = { alpha: 1, sigma: 0 };

/** Whether a resolved config asks for the study's selection. */
export function isStudy(settings: Record<string, unknown>): boolean {
  return settings.timestep_spacing === 'strided';
}

/** The study's x0 bounding: clip to [-range, range] when clip_sample, eps from the clipped x0. */
export function studyX0(settings: Record<string, unknown>): X0Processing {
  return settings.clip_sample === true
    ? { clip: Number(settings.clip_sample_range ?? 1), epsFromX0: true }
    : {};
}

/**
 * A plan over a descending integer list whose last entry is a target, not a call: the model runs
 * at list[0 .. n-1]; step i lands on list[i+1]; the last on the clean sample (`endsClean`) or abar_0.
 */
export function listPlan(list: readonly number[], schedule: Schedule, endsClean: boolean, x0: X0Processing): Plan {
  const a = schedule.alphasCumprod;
  const n = list.length - 1;
  const steps = Array.from({ length: n }, (_, i) => ({
    t: list[i],
    at: vpLevel(a[list[i]]),
    to: i === n - 1 && endsClean ? CLEAN : vpLevel(a[list[i + 1]]),
  }));
  return { steps, noiseScale: 1, x0 };
}

/** The study's plan: `steps` strided steps (the project's Karras respacing when `karras`). */
export function studyPlan(
  steps: number,
  schedule: Schedule,
  settings: Record<string, unknown>,
  endsClean: boolean,
  karras = false,
): Plan {
  const base = stridedTimesteps(steps, schedule.numTrainTimesteps);
  const list = karras ? karrasTimesteps(base, schedule) : base;
  return listPlan(list, schedule, endsClean, studyX0(settings));
}
