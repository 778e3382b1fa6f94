// Golden tests of the samplers: each trajectory against an independent float64 implementation of
// the published update rule, for the exact denoiser of a Gaussian data distribution; convergence
// order against the exact probability-flow ODE solution; determinism per seed; ddpm bit-identical
// to the strided DDPM step the loop always took.
import { describe, expect, it } from 'vitest';
import { conditional } from '../../src/diffusion/guidance.ts';
import { oneStep } from '../../src/diffusion/forward.ts';
import { sampleLoop } from '../../src/diffusion/loop.ts';
import { createRng, type Rng } from '../../src/diffusion/rng.ts';
import { createSampler, SAMPLER_NAMES } from '../../src/diffusion/samplers/registry.ts';

/** The samplers of VP (DDPM-family) models; flow-euler runs flow-matching models only. */
const VP_SAMPLERS = SAMPLER_NAMES.filter((n) => n !== 'flow-euler');
import { listPlan } from '../../src/diffusion/samplers/study.ts';
import { karrasTimesteps } from '../../src/diffusion/samplers/karras.ts';
import { makeSchedule, stridedTimesteps, type Schedule } from '../../src/diffusion/schedule.ts';
import { ddpmStep } from '../../src/diffusion/step.ts';
import type { DenoiserRequest } from '../../src/diffusion/types.ts';
import { cond, recording } from './helpers.ts';

const cosine = makeSchedule({ beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000 });
const N = 6;
// Data: x0 ~ N(MU, S^2) per value (independent).
const MU = [0.3, -0.2, 0.1, 0.5, -0.4, 0];
const S = 0.5;

/** Exact posterior mean of x0 given x_t for the Gaussian data (float64). */
function gaussX0(x: ArrayLike<number>, abar: number): number[] {
  const a = Math.sqrt(abar);
  const k = (a * S * S) / (abar * S * S + 1 - abar);
  return Array.from(x, (v, i) => MU[i] + k * (v - a * MU[i]));
}

/** The product's denoiser for the same data: eps = (x - sqrt(abar) E[x0|x]) / sqrt(1 - abar). */
function gaussDenoiser(schedule: Schedule) {
  return recording((t: number, r: DenoiserRequest) => {
    const abar = schedule.alphasCumprod[t];
    const x0 = gaussX0(r.x, abar);
    return { eps: Float32Array.from(r.x, (v, i) => (v - Math.sqrt(abar) * x0[i]) / Math.sqrt(1 - abar)) };
  }).denoiser;
}

async function product(name: string, ts: readonly number[], seed: number, schedule = cosine) {
  const traj: Float32Array[] = [];
  const x = createRng(seed).normal(N);
  // The list as given (the study's selection, no clipping): the last entry is the target, the clean sample except for ddpm.
  const out = await sampleLoop({
    x,
    plan: listPlan(ts, schedule, name !== 'ddpm', {}),
    estimator: conditional(cond(1)),
    denoiser: gaussDenoiser(schedule),
    rng: createRng(seed + 1),
    sampler: createSampler(name, { timestep_spacing: 'strided' }),
    onStep: (i) => void traj.push(i.x.slice()),
  });
  return { x, out, traj };
}

// ---- Reference implementations (float64, from the papers; not the product code) ----

/** DDIM, Song et al. 2021 eq. 12, with alpha_0 := 1 on the last step (diffusers' set_alpha_to_one). */
function refDdim(x: number[], ts: readonly number[], eta: number, rng: Rng, schedule = cosine): number[][] {
  const traj: number[][] = [];
  for (let i = 0; i + 1 < ts.length; i++) {
    const at = schedule.alphasCumprod[ts[i]];
    const ap = i + 2 === ts.length ? 1 : schedule.alphasCumprod[ts[i + 1]];
    const x0 = gaussX0(x, at);
    const eps = x.map((v, j) => (v - Math.sqrt(at) * x0[j]) / Math.sqrt(1 - at));
    const sigma = eta * Math.sqrt((1 - ap) / (1 - at)) * Math.sqrt(1 - at / ap);
    const z = sigma > 0 ? rng.normal(x.length) : undefined;
    x = x.map(
      (_, j) => Math.sqrt(ap) * x0[j] + Math.sqrt(1 - ap - sigma ** 2) * eps[j] + (z ? sigma * z[j] : 0),
    );
    traj.push(x);
  }
  return traj;
}

/** k-diffusion sigmas of a timestep list (0 for the final entry): sigma = sqrt((1 - abar) / abar). */
function kSigmas(ts: readonly number[], schedule = cosine): number[] {
  return ts.map((t, i) =>
    i === ts.length - 1 ? 0 : Math.sqrt((1 - schedule.alphasCumprod[t]) / schedule.alphasCumprod[t]),
  );
}

/** The k-diffusion denoiser D(x_k, sigma) for the Gaussian data: E[x0 | x_k = x0 + sigma eps]. */
function kDenoise(xk: number[], sigma: number): number[] {
  return xk.map((v, i) => MU[i] + ((S * S) / (S * S + sigma * sigma)) * (v - MU[i]));
}

/**
 * DPM-Solver++(2M), Lu et al. 2022 Algorithm 2, as k-diffusion's sample_dpmpp_2m writes it
 * (t = -log sigma, first order on the first step and on the step to sigma = 0). Returns x_t = alpha x_k.
 */
function refDpmpp2m(x: number[], ts: readonly number[], schedule = cosine): number[][] {
  const sig = kSigmas(ts, schedule);
  let xk = x.map((v) => v * Math.sqrt(1 + sig[0] ** 2));
  let old: number[] | undefined;
  const traj: number[][] = [];
  for (let i = 0; i + 1 < ts.length; i++) {
    const denoised = kDenoise(xk, sig[i]);
    const t = -Math.log(sig[i]);
    if (sig[i + 1] === 0) {
      xk = denoised;
    } else {
      const tNext = -Math.log(sig[i + 1]);
      const h = tNext - t;
      let d = denoised;
      if (old) {
        const hLast = t - -Math.log(sig[i - 1]);
        const r = hLast / h;
        d = denoised.map((v, j) => (1 + 1 / (2 * r)) * v - (1 / (2 * r)) * old![j]);
      }
      xk = xk.map((v, j) => (sig[i + 1] / sig[i]) * v - Math.expm1(-h) * d[j]);
    }
    old = denoised;
    traj.push(xk.map((v) => v / Math.sqrt(1 + sig[i + 1] ** 2)));
  }
  return traj;
}

/** Euler ancestral as k-diffusion's sample_euler_ancestral (eta 1, get_ancestral_step). */
function refEulerA(x: number[], ts: readonly number[], rng: Rng, schedule = cosine): number[][] {
  const sig = kSigmas(ts, schedule);
  let xk = x.map((v) => v * Math.sqrt(1 + sig[0] ** 2));
  const traj: number[][] = [];
  for (let i = 0; i + 1 < ts.length; i++) {
    const denoised = kDenoise(xk, sig[i]);
    const [from, to] = [sig[i], sig[i + 1]];
    const up = Math.min(to, Math.sqrt((to ** 2 * (from ** 2 - to ** 2)) / from ** 2));
    const down = Math.sqrt(to ** 2 - up ** 2);
    xk = xk.map((v, j) => v + ((v - denoised[j]) / from) * (down - from));
    if (to > 0) {
      const z = rng.normal(xk.length);
      xk = xk.map((v, j) => v + z[j] * up);
    }
    traj.push(xk.map((v) => v / Math.sqrt(1 + to ** 2)));
  }
  return traj;
}

/** Exact probability-flow ODE solution from x at t to t': x_k - mu scales with sqrt(S^2 + sigma^2), x = alpha x_k. */
function exactOde(x: ArrayLike<number>, t: number, tNext: number, schedule: Schedule): number[] {
  const [a, b] = [schedule.alphasCumprod[t], schedule.alphasCumprod[tNext]];
  const scale = Math.sqrt((S * S + (1 - b) / b) / (S * S + (1 - a) / a));
  return Array.from(x, (v, i) => Math.sqrt(b) * (MU[i] + (v / Math.sqrt(a) - MU[i]) * scale));
}

function maxRelErr(got: Float32Array[], want: number[][]): number {
  let m = 0;
  got.forEach((g, i) =>
    g.forEach((v, j) => (m = Math.max(m, Math.abs(v - want[i][j]) / (1 + Math.abs(want[i][j]))))),
  );
  return m;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('sampler trajectories match the published update rules', () => {
  const ts = stridedTimesteps(12, 1000);
  it('ddim (eta 0 and 1): Song et al. 2021 eq. 12', async () => {
    for (const [name, eta] of [
      ['ddim', 0],
      ['ddim-eta1', 1],
    ] as const) {
      const p = await product(name, ts, 7);
      const want = refDdim(Array.from(p.x), ts, eta, createRng(8));
      expect(p.traj).toHaveLength(12);
      expect(maxRelErr(p.traj, want)).toBeLessThan(2e-5);
    }
  });

  it('dpmpp-2m and dpmpp-2m-karras: Lu et al. 2022 Algorithm 2 (k-diffusion form)', async () => {
    const p = await product('dpmpp-2m', ts, 7);
    expect(maxRelErr(p.traj, refDpmpp2m(Array.from(p.x), ts))).toBeLessThan(2e-5);
    const kts = karrasTimesteps(ts, cosine);
    const k = await product('dpmpp-2m', kts, 7);
    expect(maxRelErr(k.traj, refDpmpp2m(Array.from(k.x), kts))).toBeLessThan(2e-5);
  });

  it('euler-a: k-diffusion sample_euler_ancestral', async () => {
    const p = await product('euler-a', ts, 7);
    expect(maxRelErr(p.traj, refEulerA(Array.from(p.x), ts, createRng(8)))).toBeLessThan(2e-5);
  });

  it('ddpm is bit-identical to the strided DDPM step the loop always took', async () => {
    const p = await product('ddpm', ts, 7);
    const rng = createRng(8);
    let x = p.x;
    const den = gaussDenoiser(cosine);
    for (let i = 0; i + 1 < ts.length; i++) {
      const at = cosine.alphasCumprod[ts[i]];
      const [o] = await den(ts[i], [{ x, cond: cond(1) }]);
      const x0 = oneStep(x, o.eps, at, false);
      const noise = ts[i + 1] > 0 ? rng.normal(N) : undefined;
      x = ddpmStep({ xt: x, x0, abarT: at, abarPrev: cosine.alphasCumprod[ts[i + 1]], noise });
      expect(p.traj[i]).toEqual(x);
    }
  });
});

describe('convergence to the exact ODE solution (deterministic samplers)', () => {
  // A fine schedule and nested uniform grids 9000 -> 808 (8192 apart), then the final step to 0;
  // the error is measured at t = 808, before the final denoising step, against the exact solution.
  const fine = makeSchedule({ beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 10000 });
  const errors = async (name: string, stepsList: number[]) => {
    const out: number[] = [];
    for (const m of stepsList) {
      const ts = [...Array.from({ length: m + 1 }, (_, i) => 9000 - (i * 8192) / m), 0];
      const p = await product(name, ts, 3, fine);
      out.push(maxAbs(p.traj[m - 1], exactOde(p.x, 9000, 808, fine)));
    }
    return out;
  };
  const stepsList = [16, 32, 64, 128];

  it('ddim: first order (error about halves per doubling)', async () => {
    const e = await errors('ddim', stepsList);
    for (let i = 1; i < e.length; i++) {
      expect(e[i - 1] / e[i]).toBeGreaterThan(1.6);
      expect(e[i - 1] / e[i]).toBeLessThan(2.6);
    }
  });

  it('dpmpp-2m: second order (error falls about 4x per doubling), below ddim', async () => {
    const e = await errors('dpmpp-2m', stepsList);
    const d = await errors('ddim', stepsList);
    for (let i = 1; i < e.length; i++) expect(e[i - 1] / e[i]).toBeGreaterThan(3);
    for (let i = 0; i < e.length; i++) expect(e[i]).toBeLessThan(d[i]);
  });
});

describe('every sampler', () => {
  it.each(VP_SAMPLERS)('%s is deterministic per seed and differs across seeds', async (name) => {
    const ts = stridedTimesteps(10, 1000);
    const a = await product(name, ts, 11);
    const b = await product(name, ts, 11);
    const c = await product(name, ts, 12);
    expect(b.out).toEqual(a.out);
    expect(maxAbs(a.out, c.out)).toBeGreaterThan(1e-3);
    expect(a.out.every(Number.isFinite)).toBe(true);
  });
});

describe('karrasTimesteps', () => {
  it('keeps the step count, both ends and 0, strictly descending, each at the nearest Karras sigma', () => {
    const schedule = makeSchedule({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 });
    const sigma = (t: number) => Math.sqrt((1 - schedule.alphasCumprod[t]) / schedule.alphasCumprod[t]);
    const base = stridedTimesteps(20, 1000);
    const k = karrasTimesteps(base, schedule);
    expect(k).toHaveLength(base.length);
    expect([k[0], k[19], k[20]]).toEqual([base[0], base[19], 0]);
    for (let i = 1; i < k.length; i++) expect(k[i]).toBeLessThan(k[i - 1]);
    // sigma_i = (smax^(1/7) + i/19 (smin^(1/7) - smax^(1/7)))^7, computed here independently
    const [lo, hi] = [sigma(base[19]) ** (1 / 7), sigma(base[0]) ** (1 / 7)];
    for (let i = 0; i < 20; i++) {
      const want = Math.log((hi + (i / 19) * (lo - hi)) ** 7);
      const d = (t: number) => Math.abs(Math.log(sigma(t)) - want);
      expect(d(k[i])).toBeLessThanOrEqual(Math.min(d(k[i] - 1), d(k[i] + 1)));
    }
  });
});
