// Runs in the inference process and the CLI (pure math, no I/O).
// Options shared by the recipes (one file per technique, each: a start x, an estimator, a projection).
import { withCoarsePrior, type X0Refiner } from '../coarse-prior.ts';
import { cfg, conditional } from '../guidance.ts';
import type { StepInfo } from '../loop.ts';
import type { Rng } from '../rng.ts';
import type { Level, Plan, PlanStep, PredictionType, Sampler } from '../samplers/sampler.ts';
import { vpLevel } from '../samplers/sampler.ts';
import { CLEAN } from '../samplers/study.ts';
import type { Schedule } from '../schedule.ts';
import type { Conditioning, Denoiser, Estimator, Shape } from '../types.ts';

export interface RecipeBase {
  shape: Shape;
  schedule: Schedule;
  denoiser: Denoiser;
  /** Source of all noise, drawn in a fixed order (start noise first, then per step). */
  rng: Rng;
  /** The sampler (made for the model's scheduler config): its plan picks the timesteps. */
  sampler: Sampler;
  /** Inference steps asked for (the plan may call the model more often, e.g. PNDM's n + 1). */
  steps: number;
  /** What the model predicts; default epsilon. */
  prediction?: PredictionType;
  onStep?: (info: StepInfo) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface Guidance {
  /** Empty prompt, or the negative prompt when given. Omitted: conditional estimate only. */
  uncond?: Conditioning;
  /** CFG scale s (the model's manifest holds the default); required with uncond. */
  guidanceScale?: number;
}

/** CFG estimator (Ho & Salimans 2022) for one prompt, or the plain conditional one without an unconditional prompt. */
export function guided(cond: Conditioning, g: Guidance): Estimator {
  if (!g.uncond) return conditional(cond);
  if (g.guidanceScale === undefined) throw new RangeError('classifier-free guidance needs a guidance scale');
  return cfg(cond, g.uncond, g.guidanceScale);
}

/**
 * An estimator with a prompt's coarse data prior applied to its result (withCoarsePrior), or the
 * estimator itself without one. Every recipe wraps each prompt's own guided branch with that
 * prompt's prior, inside any view or filter, so the prior sees the branch's own frame.
 */
export function withPrior(estimator: Estimator, prior: X0Refiner | undefined, o: RecipeBase, plan: Plan): Estimator {
  return prior ? withCoarsePrior(estimator, prior, o.schedule, clipsX0(plan)) : estimator;
}

/** The sampler's plan for the recipe's step count (diffusers' set_timesteps). */
export function planOf(o: RecipeBase): Plan {
  return o.sampler.plan(o.steps, o.schedule);
}

/** The plan from step `iStart` on (SDEdit's start index); throws unless at least one step remains. */
export function planFrom(plan: Plan, iStart: number): Plan {
  if (!Number.isInteger(iStart) || iStart < 0 || iStart >= plan.steps.length)
    throw new RangeError(`start index must be an integer in 0..${plan.steps.length - 1}, got ${iStart}`);
  return { ...plan, steps: plan.steps.slice(iStart) };
}

/**
 * The plan continued from any train timestep t0: one step from t0 onto the first planned step below it,
 * then the plan's steps below t0 (Runge-Kutta and repeated timesteps left out).
 */
export function planBelow(plan: Plan, schedule: Schedule, t0: number): Plan {
  const kept: PlanStep[] = plan.steps.filter((s) => s.t < t0 && s.pndm === undefined);
  const at = plan.levelOf?.(t0) ?? vpLevel(schedule.alphasCumprod[t0]);
  const lead: PlanStep = { t: t0, at, to: kept[0]?.at ?? CLEAN };
  return { ...plan, steps: [lead, ...kept] };
}

/** x = alpha x0 + sigma z at a level (the forward process; z drawn from rng). */
export function noisedAt(image: Float32Array, level: Level, rng: Rng): Float32Array {
  const z = rng.normal(image.length);
  const out = new Float32Array(image.length);
  for (let i = 0; i < out.length; i++) out[i] = level.alpha * image[i] + level.sigma * z[i];
  return out;
}

/** Start noise for a plan: standard normal, times the plan's noise scale (diffusers' init_noise_sigma in VP form). */
export function startNoise(o: RecipeBase, plan: Plan): Float32Array {
  const x = o.rng.normal(sizeOf(o.shape));
  if (plan.noiseScale !== 1) for (let i = 0; i < x.length; i++) x[i] *= plan.noiseScale;
  return x;
}

/** Whether a plan clips x0 (the one-step denoise and the coarse prior follow it). */
export function clipsX0(plan: Plan): boolean {
  return plan.x0.clip !== undefined;
}

/** Number of values of a shape. */
export function sizeOf(shape: Shape): number {
  return shape.channels * shape.height * shape.width;
}

/** Throws unless an image holds exactly the shape's values. */
export function checkImage(image: Float32Array, shape: Shape, what = 'image'): void {
  if (image.length !== sizeOf(shape)) {
    throw new RangeError(
      `${what} has ${image.length} values, shape ${shape.channels}x${shape.height}x${shape.width} needs ${sizeOf(shape)}`,
    );
  }
}

/** Loop options common to every recipe. */
export function loopBase(o: RecipeBase): Pick<RecipeBase, 'sampler' | 'denoiser' | 'rng' | 'onStep' | 'signal' | 'prediction'> {
  return { sampler: o.sampler, denoiser: o.denoiser, rng: o.rng, onStep: o.onStep, signal: o.signal, prediction: o.prediction };
}
