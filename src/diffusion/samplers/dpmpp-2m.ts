// Runs in the inference process and the CLI (pure math, no I/O).
// DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Algorithm 2) as diffusers'
// DPMSolverMultistepScheduler (algorithm_type dpmsolver++) selects and steps it.
import type { Schedule } from '../schedule.ts';
import { bounding } from './bounding.ts';
import { checkRange } from './ddpm.ts';
import type { Level, Plan, PlanStep, Sampler } from './sampler.ts';
import { kLevel, kSigma } from './sampler.ts';
import { dpmSolverTimesteps, karrasSigmas, sigmaToT } from './spacing.ts';
import { isStudy, studyPlan } from './study.ts';

/** lambda = log(alpha / sigma) (half log-SNR). */
function lambdaOf(l: Level): number {
  return Math.log(l.alpha) - Math.log(l.sigma);
}

interface DpmState {
  x0: Float32Array;
  at: Level;
}

/**
 * DPMSolverMultistep set_timesteps: its own spacing (the n + 1 variant), sigmas at those timesteps,
 * or Karras sigmas over the model's whole range sigma(T-1) .. sigma(0) with t = round(sigma -> t)
 * (fractional, truncated, on the cosine schedule); final sigma 0 or sigma_min; first-order last step
 * when euler_at_final, final_sigmas_type "zero", or lower_order_final below 15 steps.
 */
export function dpmPlan(steps: number, schedule: Schedule, settings: Record<string, unknown>): Plan {
  const T = schedule.numTrainTimesteps;
  let ts = dpmSolverTimesteps(steps, T, String(settings.timestep_spacing), Number(settings.steps_offset));
  checkRange(ts, T);
  const all = Array.from(schedule.alphasCumprod, kSigma);
  let sigmas = ts.map((t) => all[t]);
  if (settings.use_karras_sigmas === true) {
    sigmas = karrasSigmas(steps, all[0], all[T - 1]);
    const logs = all.map(Math.log);
    const cosine = settings.beta_schedule === 'squaredcos_cap_v2';
    ts = sigmas.map((s) => (cosine ? Math.trunc(sigmaToT(s, logs)) : Math.round(sigmaToT(s, logs))));
  }
  const zero = settings.final_sigmas_type === 'zero';
  const s32 = [...sigmas, zero ? 0 : all[0]].map((s) => Math.fround(s));
  const n = ts.length;
  const lowFinal = settings.euler_at_final === true || (settings.lower_order_final === true && n < 15) || zero;
  const out: PlanStep[] = ts.map((t, i) => ({
    t,
    at: kLevel(s32[i]),
    to: kLevel(s32[i + 1]),
    ...(settings.solver_order === 1 || (i === n - 1 && lowFinal) ? { firstOrder: true } : {}),
  }));
  return { steps: out, noiseScale: 1, x0: bounding(settings, false) };
}

/**
 * DPM-Solver++(2M) (Lu et al. 2022 Algorithm 2): x' = (sigma'/sigma) x - alpha' (e^-h - 1) D, h = lambda' - lambda,
 * D = x0 on a first-order step; midpoint: D = x0 + (x0 - x0_prev) / (2 r); heun: the (e^-h - 1)/h + 1 weight,
 * r = h_prev / h. A step to sigma = 0 lands on x0.
 */
export function dpmpp2m(settings: Record<string, unknown>, study = isStudy(settings)): Sampler {
  const karras = settings.use_karras_sigmas === true;
  const heun = settings.solver_type === 'heun';
  return {
    name: karras ? 'dpmpp-2m-karras' : 'dpmpp-2m',
    className: 'DPMSolverMultistepScheduler',
    plan: (steps, schedule) => (study ? studyPlan(steps, schedule, settings, true, karras) : dpmPlan(steps, schedule, settings)),
    step: ({ x, x0, step, state }) => {
      const prev = state as DpmState | undefined;
      const next: DpmState = { x0, at: step.at };
      const out = new Float32Array(x.length);
      if (step.to.sigma === 0) {
        out.set(x0);
        return { x: out, state: next };
      }
      const lam = lambdaOf(step.at);
      const h = lambdaOf(step.to) - lam;
      const ratio = step.to.sigma / step.at.sigma;
      const em1 = Math.expm1(-h);
      const c = -step.to.alpha * em1;
      if (!prev || step.firstOrder) {
        for (let i = 0; i < out.length; i++) out[i] = ratio * x[i] + c * x0[i];
      } else {
        const r = (lam - lambdaOf(prev.at)) / h;
        const w = heun ? (step.to.alpha * (em1 / h + 1)) / r : (0.5 * c) / r;
        const p = prev.x0;
        for (let i = 0; i < out.length; i++) out[i] = ratio * x[i] + c * x0[i] + w * (x0[i] - p[i]);
      }
      return { x: out, state: next };
    },
  };
}
