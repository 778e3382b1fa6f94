// Runs in the inference process and the CLI (pure math, no I/O).
// Timestep selection as diffusers' schedulers do it in set_timesteps: the three timestep_spacing
// rules, numpy's rounding (half to even), linear interpolation of sigmas and the sigma -> t map.
// Notation: T = num_train_timesteps, n = inference steps; lists are descending (first model call first).

/** diffusers' `timestep_spacing` values, and the study's strided list (this project's extension). */
export const TIMESTEP_SPACINGS = ['leading', 'trailing', 'linspace', 'strided'] as const;
export type TimestepSpacing = (typeof TIMESTEP_SPACINGS)[number];

/** numpy.round: round half to even (0.5 -> 0, 1.5 -> 2, 2.5 -> 2). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** numpy.linspace(a, b, n): n evenly spaced values, both ends included (a only when n = 1). */
export function linspace(a: number, b: number, n: number): number[] {
  const step = n > 1 ? (b - a) / (n - 1) : 0;
  return Array.from({ length: n }, (_, i) => (i === n - 1 && n > 1 ? b : a + i * step));
}

function checkSteps(n: number, limit: number): void {
  if (!Number.isInteger(n) || n < 1 || n > limit)
    throw new RangeError(`steps must be an integer in 1..${limit}, got ${n}`);
}

/**
 * DDPM/DDIM/PNDM/Euler set_timesteps (descending, n entries): linspace = round(linspace(0, T-1, n));
 * leading = i floor(T/n) + steps_offset; trailing = round(arange(T, 0, -T/n)) - 1. `round` false keeps
 * linspace's fractions (EulerDiscrete). SD 1.5 (leading, offset 1), 50 steps: 981, 961, ..., 1.
 */
export function spacedTimesteps(n: number, T: number, spacing: string, offset = 0, round = true): number[] {
  checkSteps(n, T);
  if (spacing === 'linspace') {
    const ts = linspace(0, T - 1, n).reverse();
    return round ? ts.map(roundHalfEven) : ts.map((t) => Math.fround(t));
  }
  if (spacing === 'leading') {
    const ratio = Math.floor(T / n);
    return Array.from({ length: n }, (_, i) => (n - 1 - i) * ratio + offset);
  }
  // round(arange(T, 0, -T/n)) - 1; numpy's arange yields n + 1 values when T/n rounds low (T = 1000, n = 61:
  // the extra one is -1, outside the schedule), so exactly n are taken.
  if (spacing === 'trailing') return Array.from({ length: n }, (_, i) => roundHalfEven(T + i * (-T / n)) - 1);
  throw new RangeError(`unknown timestep_spacing "${spacing}"; supported: ${TIMESTEP_SPACINGS.join(', ')}`);
}

/**
 * DPMSolverMultistep set_timesteps (n entries): the n + 1 variant, linspace = round(linspace(0, T-1, n+1))
 * without its last (0); leading = i floor(T/(n+1)) + steps_offset, i = n .. 1; trailing as DDIM.
 */
export function dpmSolverTimesteps(n: number, T: number, spacing: string, offset = 0): number[] {
  checkSteps(n, T);
  if (spacing === 'linspace') return linspace(0, T - 1, n + 1).map(roundHalfEven).reverse().slice(0, n);
  if (spacing === 'leading') {
    const ratio = Math.floor(T / (n + 1));
    return Array.from({ length: n }, (_, i) => (n - i) * ratio + offset);
  }
  if (spacing === 'trailing') return spacedTimesteps(n, T, 'trailing');
  throw new RangeError(`unknown timestep_spacing "${spacing}"; supported: linspace, leading, trailing`);
}

/**
 * The study's strided list (steps + 1 entries, ending at 0): stride = floor((T - 1) / steps),
 * t_i = (steps - i) stride. 33 steps of 1000: 990, 960, ..., 30, 0.
 */
export function stridedTimesteps(steps = 33, numTrain = 1000): number[] {
  checkSteps(steps, numTrain - 1);
  const stride = Math.floor((numTrain - 1) / steps);
  return Array.from({ length: steps + 1 }, (_, i) => (steps - i) * stride);
}

/** numpy.interp(x, arange(len(ys)), ys): ys at a fractional index, clamped at both ends. */
export function interpIndex(ys: ArrayLike<number>, x: number): number {
  if (x <= 0) return ys[0];
  if (x >= ys.length - 1) return ys[ys.length - 1];
  const i = Math.floor(x);
  const w = x - i;
  return w === 0 ? ys[i] : ys[i] + w * (ys[i + 1] - ys[i]);
}

/** diffusers' _sigma_to_t: the fractional timestep whose log sigma interpolates to log(sigma). */
export function sigmaToT(sigma: number, logSigmas: ArrayLike<number>): number {
  const ls = Math.log(Math.max(sigma, 1e-10));
  let low = 0;
  for (let i = 0; i < logSigmas.length; i++) if (ls - logSigmas[i] >= 0) low = i;
  low = Math.min(low, logSigmas.length - 2);
  const lo = logSigmas[low];
  const hi = logSigmas[low + 1];
  const w = Math.min(1, Math.max(0, (lo - ls) / (lo - hi)));
  return (1 - w) * low + w * (low + 1);
}

/** Karras et al. 2022 eq. 5: (smax^(1/rho) + i/(n-1) (smin^(1/rho) - smax^(1/rho)))^rho, i = 0 .. n-1. */
export function karrasSigmas(n: number, sigmaMin: number, sigmaMax: number, rho = 7): number[] {
  const lo = sigmaMin ** (1 / rho);
  const hi = sigmaMax ** (1 / rho);
  return linspace(0, 1, n).map((r) => (hi + r * (lo - hi)) ** rho);
}
