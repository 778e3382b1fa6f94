// Runs in the inference process and the CLI (pure math, no I/O).
// Forward process and one-step denoising (DDPM, Ho et al. 2020, eq. 4 and its inverse).

/** Forward process: x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps. */
export function forward(x0: Float32Array, eps: Float32Array, abarT: number): Float32Array {
  checkSame(x0, eps);
  const a = Math.sqrt(abarT);
  const b = Math.sqrt(1 - abarT);
  const out = new Float32Array(x0.length);
  for (let i = 0; i < x0.length; i++) out[i] = a * x0[i] + b * eps[i];
  return out;
}

/** One-step denoising: x0 = (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t); clipped to [-1, 1] when `clip`. */
export function oneStep(xt: Float32Array, eps: Float32Array, abarT: number, clip = false): Float32Array {
  checkSame(xt, eps);
  const a = Math.sqrt(abarT);
  const b = Math.sqrt(1 - abarT);
  const out = new Float32Array(xt.length);
  for (let i = 0; i < xt.length; i++) {
    const v = (xt[i] - b * eps[i]) / a;
    out[i] = clip ? Math.min(1, Math.max(-1, v)) : v;
  }
  return out;
}

function checkSame(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
}
