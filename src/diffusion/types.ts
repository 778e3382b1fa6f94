// Runs in the inference process and the CLI (pure math, no I/O).
// Shared contracts of the diffusion core. Pure data and function types: no I/O, no runtime imports.
//
// Notation (the study's, DDPM): x_t noisy sample at timestep t, x0 clean sample,
// eps the noise, abar_t = alphas_cumprod[t].

/** Layout of one sample (no batch dimension): channels x height x width, CHW order, float32. */
export interface Shape {
  channels: number;
  height: number;
  width: number;
}

/**
 * Conditioning for one prompt, as produced by a model's prompt encoder. `dims` excludes the
 * batch dimension (e.g. [256] for a pooled vector, [77, 768] for CLIP hidden states).
 * The runtime concatenates several of these along a new batch axis.
 */
export interface Conditioning {
  data: Float32Array;
  dims: readonly number[];
}

/** One UNet evaluation that an estimator asks for: the (possibly transformed) x_t and a prompt. */
export interface DenoiserRequest {
  x: Float32Array;
  cond: Conditioning;
}

/** The UNet's answer for one request. */
export interface DenoiserOutput {
  /** Predicted noise eps_hat, same layout as the request's x. */
  eps: Float32Array;
  /**
   * For models with learned variance (`learned_range`, e.g. DeepFloyd IF): the raw variance
   * channel v in [-1, 1] per element; log sigma^2 = frac * log(beta_t) + (1 - frac) * log(beta_tilde_t),
   * frac = (v + 1) / 2.
   */
  varValues?: Float32Array;
}

/**
 * A batched UNet call at one timestep. Every request of the batch shares t. Implementations
 * split the batch if the model cannot take it whole.
 */
export type Denoiser = (t: number, batch: DenoiserRequest[], signal?: AbortSignal) => Promise<DenoiserOutput[]>;

/** A noise estimate for the current x_t, after guidance, views and filters are composed. */
export type NoiseEstimate = DenoiserOutput;

/**
 * A composable noise estimator. It says which UNet evaluations it needs at x_t, and how to
 * combine their outputs (in the same order) into one estimate. Composition (CFG, views,
 * averaging, frequency filters) concatenates requests, so one sampler step issues all UNet
 * evaluations as one batched call.
 */
export interface Estimator {
  /** The UNet evaluations needed at x_t, timestep t (most estimators ignore t). */
  requests(x: Float32Array, t: number): DenoiserRequest[];
  combine(outputs: DenoiserOutput[]): NoiseEstimate;
}
