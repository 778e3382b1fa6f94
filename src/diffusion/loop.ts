// Runs in the inference process and the CLI (pure math, no I/O).
// The one sampling loop, driven by a composable estimator and a sampler's plan (diffusers'
// set_timesteps) and step; every technique is a start x, an estimator and an optional projection,
// and runs with every sampler.
import type { Rng } from './rng.ts';
import type { Level, Plan, PredictionType, Sampler } from './samplers/sampler.ts';
import { epsFrom, fromPrediction, processX0 } from './samplers/sampler.ts';
import type { Denoiser, Estimator } from './types.ts';

export interface StepInfo {
  /** 0-based step index. */
  index: number;
  /** Number of steps (model calls) in this run. */
  total: number;
  t: number;
  /** The next model call's timestep (0 after the last). */
  tNext: number;
  /** x after the step (after projection). */
  x: Float32Array;
  /** Clean estimate at t (bounded as the sampler bounds it). */
  x0: Float32Array;
}

export interface LoopOptions {
  /** Start sample x at plan.steps[0].at. */
  x: Float32Array;
  /** The model calls of this run: a sampler's plan, or a tail of one (SDEdit). */
  plan: Plan;
  sampler: Sampler;
  estimator: Estimator;
  denoiser: Denoiser;
  rng: Rng;
  /** What the model predicts (the scheduler config's prediction_type); default epsilon. */
  prediction?: PredictionType;
  /** Applied in place to x after each step (inpainting), with the level x is at and whether the run ends there. */
  project?: (x: Float32Array, to: Level, final: boolean) => void;
  onStep?: (info: StepInfo) => void | Promise<void>;
  signal?: AbortSignal;
}

/**
 * Sample along a plan: per step one batched denoiser call for all the estimator's requests at the
 * step's timestep, eps and x0 from the combined output at the step's level (bounded as the plan says),
 * the sampler's step, then projection and callback. Noise comes from `rng` in step order; what a
 * multistep sampler keeps is threaded here. Throws the signal's AbortError, checked before and after each call.
 */
export async function sampleLoop(opts: LoopOptions): Promise<Float32Array> {
  const { plan, sampler, estimator, denoiser, rng, project, onStep, signal } = opts;
  const prediction = plan.prediction ?? opts.prediction ?? 'epsilon';
  const steps = plan.steps;
  let state: unknown;
  let x = opts.x;
  for (let i = 0; i < steps.length; i++) {
    signal?.throwIfAborted();
    const step = steps[i];
    const requests = estimator.requests(x, step.t);
    const outputs = await denoiser(step.t, requests, signal);
    signal?.throwIfAborted();
    if (outputs.length !== requests.length) {
      throw new RangeError(`denoiser returned ${outputs.length} outputs for ${requests.length} requests`);
    }
    const est = estimator.combine(outputs);
    const predicted = fromPrediction(prediction, est.eps, x, step.at);
    const x0 = predicted.x0;
    let eps = predicted.eps;
    processX0(x0, plan.x0);
    if (plan.x0.epsFromX0 && (plan.x0.clip !== undefined || plan.x0.threshold)) eps = epsFrom(x, x0, step.at);
    const final = i === steps.length - 1;
    const next = sampler.step({ index: i, step, x, raw: est.eps, eps, x0, prediction, final, varValues: est.varValues, rng, state });
    x = next.x;
    state = next.state;
    project?.(x, step.to, final);
    await onStep?.({ index: i, total: steps.length, t: step.t, tNext: final ? 0 : steps[i + 1].t, x, x0 });
  }
  return x;
}
