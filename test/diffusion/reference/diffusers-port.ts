// Reference port of diffusers' scheduler loops (DDIMScheduler, PNDMScheduler, EulerDiscreteScheduler,
// DPMSolverMultistepScheduler with dpmsolver++, LCMScheduler, FlowMatchEulerDiscreteScheduler), written
// for the tests from diffusers' own set_timesteps and step code in its own shape: index arithmetic,
// counters, sigma arrays, float64 throughout (or with float32 arrays: withFloat32Tensors). Not the
// product code; the tests compare the two.
import type { Rng } from '../../../src/diffusion/rng.ts';

export type Model = (x: Float64Array, t: number) => Float64Array;
export type Config = Record<string, unknown>;

const T = 1000;

function npRound(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}
function npLinspace(a: number, b: number, n: number): number[] {
  const step = (b - a) / (n - 1);
  return Array.from({ length: n }, (_, i) => (n === 1 ? a : i === n - 1 ? b : a + i * step));
}

/** alphas_cumprod of a config (linear or scaled_linear betas, as the tests use). */
export function alphasCumprod(c: Config): number[] {
  const [b0, b1] = [Number(c.beta_start), Number(c.beta_end)];
  const betas = c.beta_schedule === 'scaled_linear'
    ? npLinspace(Math.sqrt(b0), Math.sqrt(b1), T).map((b) => b * b)
    : npLinspace(b0, b1, T);
  const out: number[] = [];
  let p = 1;
  for (const b of betas) out.push((p *= 1 - b));
  if (!c.rescale_betas_zero_snr) return out;
  // rescale_zero_terminal_snr: sqrt(abar) shifted to end at 0 and scaled to keep its first value.
  const root = out.map(Math.sqrt);
  const [r0, rT] = [root[0], root[T - 1]];
  return root.map((r) => ((r - rT) * (r0 / (r0 - rT))) ** 2);
}

/** DDIM / PNDM / DDPM set_timesteps (descending). */
function ddimTimesteps(c: Config, n: number): number[] {
  const sp = c.timestep_spacing;
  if (sp === 'linspace') return npLinspace(0, T - 1, n).map(npRound).reverse();
  if (sp === 'leading') return Array.from({ length: n }, (_, i) => i * Math.floor(T / n)).reverse().map((t) => t + Number(c.steps_offset ?? 0));
  return Array.from({ length: n }, (_, i) => npRound(T - i * (T / n)) - 1);
}

/** How every array the port computes is stored: float64 (the default), or float32 under withFloat32Tensors. */
let store: (v: number) => number = (v) => v;
/** Whether the sample is stored in float32 between steps (withFloat32Samples), the rest staying float64. */
let float32Samples = false;
const keep = (x: Float64Array): Float64Array => (float32Samples ? Float64Array.from(x, Math.fround) : x);

/**
 * Run `fn` with the sample rounded to float32 after every step (as the product holds it, in a Float32Array)
 * and everything else in float64: what storing the sample in float32 alone does to the result.
 */
export function withFloat32Samples<R>(fn: () => R): R {
  const before = float32Samples;
  float32Samples = true;
  try {
    return fn();
  } finally {
    float32Samples = before;
  }
}

/**
 * Run `fn` with every array the port computes (samples, x0, eps, model-output combinations) rounded to
 * float32 as it is formed, as diffusers' float32 tensors are; scalar coefficients stay float64.
 */
export function withFloat32Tensors<R>(fn: () => R): R {
  const before = store;
  store = Math.fround;
  try {
    return fn();
  } finally {
    store = before;
  }
}

const map = (a: Float64Array, f: (v: number, i: number) => number) => Float64Array.from(a, (v, i) => store(f(v, i)));

export function ddimLoop(c: Config, n: number, x: Float64Array, model: Model): Float64Array {
  const acp = alphasCumprod(c);
  const final = c.set_alpha_to_one ? 1 : acp[0];
  for (const t of ddimTimesteps(c, n)) {
    const out = model(x, t);
    const prev = t - Math.floor(T / n);
    const [a, ap] = [acp[t], prev >= 0 ? acp[prev] : final];
    const v = c.prediction_type === 'v_prediction';
    const x0 = v ? map(x, (xi, i) => Math.sqrt(a) * xi - Math.sqrt(1 - a) * out[i]) : map(x, (xi, i) => (xi - Math.sqrt(1 - a) * out[i]) / Math.sqrt(a));
    const eps = v ? map(x, (xi, i) => Math.sqrt(a) * out[i] + Math.sqrt(1 - a) * xi) : out;
    x = keep(map(x0, (x0i, i) => Math.sqrt(ap) * x0i + Math.sqrt(1 - ap) * eps[i]));
  }
  return x;
}

export function pndmLoop(c: Config, n: number, x: Float64Array, model: Model): Float64Array {
  const acp = alphasCumprod(c);
  const final = c.set_alpha_to_one ? 1 : acp[0];
  const asc = ddimTimesteps(c, n).reverse();
  const ratio = Math.floor(T / n);
  let prk: number[] = [];
  let plms: number[];
  if (c.skip_prk_steps) plms = [...asc.slice(0, -1), ...asc.slice(-2, -1), ...asc.slice(-1)].reverse();
  else {
    const base = asc.slice(-4).flatMap((t) => [t, t + Math.floor(ratio / 2)]).slice(0, -1);
    prk = base.flatMap((t) => [t, t]).slice(1, -1).reverse();
    plms = asc.slice(0, -3).reverse();
  }
  const prevSample = (s: Float64Array, t: number, tp: number, mo: Float64Array) => {
    const [a, ap] = [acp[t], tp >= 0 ? acp[tp] : final];
    if (c.prediction_type === 'v_prediction') mo = map(mo, (m, i) => Math.sqrt(a) * m + Math.sqrt(1 - a) * s[i]);
    const denom = a * Math.sqrt(1 - ap) + Math.sqrt(a * (1 - a) * ap);
    return map(s, (si, i) => Math.sqrt(ap / a) * si - ((ap - a) * mo[i]) / denom);
  };
  let counter = 0;
  let ets: Float64Array[] = [];
  let cur: Float64Array | undefined;
  let curOut = new Float64Array(x.length);
  for (let t of prk) {
    const mo0 = model(x, t);
    const diff = counter % 2 ? 0 : Math.floor(ratio / 2);
    const tp = t - diff;
    t = prk[Math.floor(counter / 4) * 4];
    let mo = mo0;
    if (counter % 4 === 0) { curOut = map(curOut, (v, i) => v + mo0[i] / 6); ets.push(mo0); cur = x; }
    else if (counter % 4 === 3) { mo = map(curOut, (v, i) => v + mo0[i] / 6); curOut = new Float64Array(x.length); }
    else curOut = map(curOut, (v, i) => v + mo0[i] / 3);
    x = keep(prevSample(cur ?? x, t, tp, mo));
    counter++;
  }
  for (let t of plms) {
    let mo = model(x, t);
    let tp = t - ratio;
    if (counter !== 1) { ets = ets.slice(-3); ets.push(mo); }
    else { tp = t; t = t + ratio; }
    let s = x;
    const e = ets;
    if (e.length === 1 && counter === 0) cur = x;
    else if (e.length === 1 && counter === 1) { const m = mo; mo = map(m, (v, i) => (v + e[0][i]) / 2); s = cur!; cur = undefined; }
    else if (e.length === 2) mo = map(mo, (_, i) => (3 * e[1][i] - e[0][i]) / 2);
    else if (e.length === 3) mo = map(mo, (_, i) => (23 * e[2][i] - 16 * e[1][i] + 5 * e[0][i]) / 12);
    else mo = map(mo, (_, i) => (55 * e[3][i] - 59 * e[2][i] + 37 * e[1][i] - 9 * e[0][i]) / 24);
    x = keep(prevSample(s, t, tp, mo));
    counter++;
  }
  return x;
}

/** Euler (deterministic), used as diffusers' pipelines use it: start x * init_noise_sigma, scale_model_input for the model. Returns x in VP form at the last sigma. */
export function eulerLoop(c: Config, n: number, z: Float64Array, model: Model): Float64Array {
  const acp = alphasCumprod(c);
  if (c.rescale_betas_zero_snr) acp[T - 1] = 2 ** -24;
  const all = acp.map((a) => Math.sqrt((1 - a) / a));
  const sp = c.timestep_spacing;
  const ts = sp === 'linspace' ? npLinspace(0, T - 1, n).reverse() : ddimTimesteps(c, n);
  const sig = ts.map((t) => { const i = Math.floor(t); const w = t - i; return i >= T - 1 ? all[T - 1] : all[i] + w * (all[i + 1] - all[i]); });
  sig.push(c.final_sigmas_type === 'sigma_min' ? all[0] : 0);
  const init = sp === 'leading' ? Math.sqrt(sig[0] ** 2 + 1) : sig[0];
  let x = keep(map(z, (v) => v * init));
  ts.forEach((t, i) => {
    const s = sig[i];
    const out = model(map(x, (v) => v / Math.sqrt(s * s + 1)), t);
    const x0 = c.prediction_type === 'v_prediction' ? map(x, (v, j) => out[j] * (-s / Math.sqrt(s * s + 1)) + v / (s * s + 1)) : map(x, (v, j) => v - s * out[j]);
    x = keep(map(x, (v, j) => v + ((v - x0[j]) / s) * (sig[i + 1] - s)));
  });
  const last = sig[sig.length - 1];
  return map(x, (v) => v / Math.sqrt(last * last + 1));
}

/** DPMSolverMultistep (dpmsolver++, order 2, midpoint), as diffusers' step with its model_outputs list. */
export function dpmLoop(c: Config, n: number, x: Float64Array, model: Model): Float64Array {
  const acp = alphasCumprod(c);
  const all = acp.map((a) => Math.sqrt((1 - a) / a));
  const sp = c.timestep_spacing;
  const ts = sp === 'linspace'
    ? npLinspace(0, T - 1, n + 1).map(npRound).reverse().slice(0, n)
    : sp === 'leading'
      ? Array.from({ length: n + 1 }, (_, i) => i * Math.floor(T / (n + 1))).reverse().slice(0, n).map((t) => t + Number(c.steps_offset ?? 0))
      : Array.from({ length: n }, (_, i) => npRound(T - i * (T / n)) - 1);
  const sig = [...ts.map((t) => all[t]), c.final_sigmas_type === 'sigma_min' ? all[0] : 0];
  const at = (s: number) => [1 / Math.sqrt(s * s + 1), s / Math.sqrt(s * s + 1)];
  const outs: Float64Array[] = [];
  let lower = 0;
  ts.forEach((t, i) => {
    const lowFinal = i === n - 1 && ((c.lower_order_final !== false && n < 15) || c.final_sigmas_type !== 'sigma_min');
    const [a, s] = at(sig[i]);
    const out = model(x, t);
    const x0 = c.prediction_type === 'v_prediction' ? map(x, (v, j) => a * v - s * out[j]) : map(x, (v, j) => (v - s * out[j]) / a);
    outs.push(x0);
    const [at1, st1] = at(sig[i + 1]);
    const lam = (aa: number, ss: number) => Math.log(aa) - Math.log(ss);
    const h = lam(at1, st1) - lam(a, s);
    if (lower < 1 || lowFinal) x = keep(map(x, (v, j) => (st1 / s) * v - at1 * (Math.exp(-h) - 1) * x0[j]));
    else {
      const [a1, s1] = at(sig[i - 1]);
      const r0 = (lam(a, s) - lam(a1, s1)) / h;
      const m1 = outs[outs.length - 2];
      x = keep(map(x, (v, j) => (st1 / s) * v - at1 * (Math.exp(-h) - 1) * x0[j] - 0.5 * at1 * (Math.exp(-h) - 1) * (1 / r0) * (x0[j] - m1[j])));
    }
    lower++;
  });
  return x;
}

/** LCMScheduler: skip-step timesteps, boundary scalings, noise from `rng` on every step but the last. */
export function lcmLoop(c: Config, n: number, x: Float64Array, model: Model, rng: Rng): Float64Array {
  const acp = alphasCumprod(c);
  const orig = Number(c.original_inference_steps ?? 50);
  const k = Math.floor(T / orig);
  const origin = Array.from({ length: orig }, (_, i) => (i + 1) * k - 1).reverse();
  const ts = Array.from({ length: n }, (_, i) => origin[Math.floor((i * orig) / n)]);
  ts.forEach((t, i) => {
    const out = model(x, t);
    const a = acp[t];
    const x0 = map(x, (v, j) => (v - Math.sqrt(1 - a) * out[j]) / Math.sqrt(a));
    const u = t * 10;
    const [cs, co] = [0.25 / (u * u + 0.25), u / Math.sqrt(u * u + 0.25)];
    const den = map(x, (v, j) => co * x0[j] + cs * v);
    if (i === n - 1) x = keep(den);
    else {
      const ap = acp[ts[i + 1]];
      const z = rng.normal(x.length);
      x = keep(map(den, (d, j) => Math.sqrt(ap) * d + Math.sqrt(1 - ap) * z[j]));
    }
  });
  return x;
}

/** FlowMatchEulerDiscrete (no dynamic shifting): x' = x + (s' - s) v. */
export function flowLoop(shift: number, n: number, x: Float64Array, model: Model): Float64Array {
  const sh = (s: number) => (shift * s) / (1 + (shift - 1) * s);
  const [smax, smin] = [sh(1), sh(1 / T)];
  const sig = npLinspace(smax * T, smin * T, n).map((t) => sh(t / T));
  sig.push(0);
  for (let i = 0; i < n; i++) {
    const v = model(x, sig[i] * T);
    x = keep(map(x, (xi, j) => xi + (sig[i + 1] - sig[i]) * v[j]));
  }
  return x;
}

/** DDPMScheduler (fixed_small): posterior mean to the next listed timestep (the last to abar = 1), noise from `rng` while t > 0. */
export function ddpmLoop(c: Config, n: number, x: Float64Array, model: Model, rng: Rng): Float64Array {
  const acp = alphasCumprod(c);
  const ts = ddimTimesteps(c, n);
  ts.forEach((t, i) => {
    const out = model(x, t);
    const prev = i + 1 < ts.length ? ts[i + 1] : -1;
    const [a, ap] = [acp[t], prev >= 0 ? acp[prev] : 1];
    const [alpha, beta] = [a / ap, 1 - a / ap];
    const v = c.prediction_type === 'v_prediction';
    let x0 = v ? map(x, (xi, j) => Math.sqrt(a) * xi - Math.sqrt(1 - a) * out[j]) : map(x, (xi, j) => (xi - Math.sqrt(1 - a) * out[j]) / Math.sqrt(a));
    if (c.clip_sample) x0 = map(x0, (q) => Math.min(1, Math.max(-1, q)));
    const mean = map(x, (xi, j) => ((Math.sqrt(ap) * beta) / (1 - a)) * x0[j] + ((Math.sqrt(alpha) * (1 - ap)) / (1 - a)) * xi);
    if (i < ts.length - 1 && t > 0) {
      const sd = Math.sqrt(Math.max(((1 - ap) / (1 - a)) * beta, 1e-20));
      const z = rng.normal(x.length);
      x = keep(map(mean, (m, j) => m + sd * z[j]));
    } else x = keep(mean);
  });
  return x;
}
