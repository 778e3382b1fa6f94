// Runs in the inference process and the CLI (pure math, no I/O).
// diffusers' bounding of the predicted x0 from a resolved config: thresholding wins over clip_sample.
import type { X0Processing } from './sampler.ts';

/** X0Processing of a DDPM/DDIM/LCM-style config (thresholding, else clip_sample with clip_sample_range), or thresholding only. */
export function bounding(settings: Record<string, unknown>, clip = true): X0Processing {
  if (settings.thresholding === true)
    return {
      threshold: { ratio: Number(settings.dynamic_thresholding_ratio), maxValue: Number(settings.sample_max_value) },
    };
  if (clip && settings.clip_sample === true) return { clip: Number(settings.clip_sample_range) };
  return {};
}
