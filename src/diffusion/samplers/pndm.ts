// Runs in the inference process and the CLI (pure math, no I/O).
// PNDM (Liu et al. 2022, "Pseudo Numerical Methods for Diffusion Models on Manifolds") as diffusers'
// PNDMScheduler selects and steps it: Runge-Kutta warm-up steps (PRK) unless skip_prk_steps, then
// linear multistep (PLMS) on eps, each update the DDIM-form transfer between two levels.
import type { Schedule } from '../schedule.ts';
import { checkRange } from './ddpm.ts';
import type { Level, Plan, PlanStep, Sampler } from './sampler.ts';
import { abarOf, vpLevel } from './sampler.ts';
import { spacedTimesteps } from './spacing.ts';
import { CLEAN, isStudy, studyPlan } from './study.ts';

interface PndmState {
  /** Past eps (newest last), at most 4. */
  ets: Float32Array[];
  /** The sample the current Runge-Kutta step (or the averaging step) starts from. */
  cur?: Float32Array;
  /** Weighted eps sum of the current Runge-Kutta step. */
  acc?: Float32Array;
}

/** Adams-Bashforth combination of the eps history (PLMS, Liu et al. 2022 eq. 12). */
function plmsEps(ets: Float32Array[]): Float32Array {
  const n = ets.length;
  const e = (k: number): Float32Array => ets[n - k];
  const c =
    n === 1 ? [1] : n === 2 ? [3 / 2, -1 / 2] : n === 3 ? [23 / 12, -16 / 12, 5 / 12] : [55 / 24, -59 / 24, 37 / 24, -9 / 24];
  const out = new Float32Array(e(1).length);
  for (let i = 0; i < out.length; i++) {
    let v = 0;
    for (let k = 0; k < c.length; k++) v += c[k] * e(k + 1)[i];
    out[i] = v;
  }
  return out;
}

function mix(a: Float32Array, wa: number, b: Float32Array, wb: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i] + wb * b[i];
  return out;
}

/**
 * PNDM's transfer (Liu et al. 2022 eq. 9, equal to DDIM with eta 0) of `sample` at `from` by the
 * combined model output: v-prediction outputs are turned to eps at `from` and `sample` first (as diffusers does).
 */
function transfer(sample: Float32Array, out: Float32Array, from: Level, to: Level, v: boolean): Float32Array {
  const eps = v ? mix(out, from.alpha, sample, from.sigma) : out;
  // x' = sqrt(a'/a) x - (a' - a) eps / (a sqrt(1 - a') + sqrt(a (1 - a) a')), a = abar (no division by sqrt(a) of x).
  const [a, ap] = [abarOf(from), abarOf(to)];
  const c = Math.sqrt(ap / a);
  const d = (ap - a) / (a * Math.sqrt(1 - ap) + Math.sqrt(a * (1 - a) * ap));
  const next = new Float32Array(sample.length);
  for (let i = 0; i < next.length; i++) next[i] = c * sample[i] - d * eps[i];
  return next;
}

/**
 * PNDMScheduler: timesteps as DDIM's (leading + steps_offset for SD); with skip_prk_steps the first
 * timestep is evaluated twice (second-order start, x from the first sample with the averaged eps),
 * then PLMS steps t -> t - floor(T/n), the last to abar = 1 (set_alpha_to_one) or abar_0.
 */
export function pndm(settings: Record<string, unknown>): Sampler {
  const study = isStudy(settings);
  return {
    name: 'pndm',
    className: 'PNDMScheduler',
    plan(steps: number, schedule: Schedule): Plan {
      if (study) return studyPlan(steps, schedule, settings, true);
      const T = schedule.numTrainTimesteps;
      const skip = settings.skip_prk_steps === true;
      if (!skip && steps < 4) throw new RangeError('PNDM with Runge-Kutta steps (skip_prk_steps false) needs at least 4 steps');
      const ts = spacedTimesteps(steps, T, String(settings.timestep_spacing), Number(settings.steps_offset)).reverse();
      checkRange(ts, T);
      const final: Level = settings.set_alpha_to_one === true ? CLEAN : vpLevel(schedule.alphasCumprod[0]);
      const lv = (t: number): Level => (t >= 0 ? vpLevel(schedule.alphasCumprod[t]) : final);
      const ratio = Math.floor(T / steps);
      const out: PlanStep[] = [];
      let plms: number[];
      if (skip) {
        plms = [...ts.slice(0, -1), ...ts.slice(-2, -1), ...ts.slice(-1)].reverse();
      } else {
        const half = Math.floor(ratio / 2);
        const last = ts.slice(-4);
        const prk = last.flatMap((t) => [t, t + half]).slice(0, -1);
        const seq = prk.flatMap((t) => [t, t]).slice(1, -1).reverse();
        seq.forEach((t, k) => {
          const base = seq[Math.floor(k / 4) * 4];
          out.push({ t, at: lv(t), base: lv(base), to: lv(t - (k % 2 ? 0 : half)), pndm: k % 4 });
        });
        plms = ts.slice(0, -3).reverse();
      }
      plms.forEach((t, k) => {
        const average = skip && k === 1;
        out.push(average ? { t, at: lv(t), base: lv(t + ratio), to: lv(t), pndm: 'average' } : { t, at: lv(t), to: lv(t - ratio) });
      });
      return { steps: out, noiseScale: 1, x0: {} };
    },
    step: ({ x, raw, eps, step, prediction, state }) => {
      const st = (state as PndmState | undefined) ?? { ets: [] };
      const v = prediction === 'v_prediction';
      const out = v ? raw : eps;
      if (typeof step.pndm === 'number') {
        const k = step.pndm;
        const cur = k === 0 ? x : (st.cur ?? x);
        const ets = k === 0 ? [...st.ets, out].slice(-4) : st.ets;
        const acc = k === 0 ? mix(out, 1 / 6, out, 0) : mix(st.acc ?? new Float32Array(out.length), 1, out, 1 / 3);
        const used = k === 3 ? mix(st.acc ?? out, 1, out, 1 / 6) : out;
        const next = transfer(cur, used, step.base ?? step.at, step.to, v);
        return { x: next, state: { ets, cur, acc: k === 3 ? undefined : acc } satisfies PndmState };
      }
      if (step.pndm === 'average' && st.cur && st.ets.length === 1) {
        const avg = mix(out, 0.5, st.ets[0], 0.5);
        return { x: transfer(st.cur, avg, step.base ?? step.at, step.to, v), state: { ets: st.ets } satisfies PndmState };
      }
      const ets = [...st.ets, out].slice(-4);
      const first = st.ets.length === 0;
      const next = transfer(x, first ? out : plmsEps(ets), step.at, step.to, v);
      return { x: next, state: { ets, cur: first ? x : undefined } satisfies PndmState };
    },
  };
}
