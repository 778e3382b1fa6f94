// A hybrid puts the far prompt in the low frequencies and the near prompt in the high. With the
// exact denoiser of a one-image dataset per prompt (eps_P(x) = (x - sqrt(abar) P) / sqrt(1 - abar)),
// lowpass(eps_far) + highpass(eps_near) is the exact denoiser toward lowpass(FAR) + highpass(NEAR),
// so sampling without guidance (DDIM) must land there: the low band of the result is the far
// image's, the high band the near image's, and swapping the prompts swaps the bands.
import { describe, expect, it } from 'vitest';
import { gaussianLowpass, hybridFilterFor } from '../../src/diffusion/filters.ts';
import { hybrid } from '../../src/diffusion/recipes/index.ts';
import { createRng } from '../../src/diffusion/rng.ts';
import { makeSchedule } from '../../src/diffusion/schedule.ts';
import type { Shape } from '../../src/diffusion/types.ts';
import { cond, maxAbsDiff, optimalEps, recording, studySampler } from './helpers.ts';

const SHAPE: Shape = { channels: 3, height: 32, width: 32 };
const schedule = makeSchedule({ beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000 });

/** An image with a slow wave (low band) and a one-pixel pattern (high band), both different per k. */
function twoBandImage(k: 1 | 2): Float32Array {
  const out = new Float32Array(SHAPE.channels * SHAPE.height * SHAPE.width);
  let i = 0;
  for (let c = 0; c < SHAPE.channels; c++)
    for (let y = 0; y < SHAPE.height; y++)
      for (let x = 0; x < SHAPE.width; x++) {
        const low =
          k === 1 ? 0.4 * Math.sin((2 * Math.PI * x) / 32 + c) : 0.4 * Math.cos((2 * Math.PI * y) / 32 - c);
        const high = k === 1 ? 0.3 * (-1) ** (x + y) : 0.3 * (-1) ** x;
        out[i++] = low + high;
      }
  return out;
}

const IMAGES = { 1: twoBandImage(1), 2: twoBandImage(2) } as const;
// The recipe's own filter at this width (kernel 17, sigma 1 at 32 px).
const { size, sigma } = hybridFilterFor(SHAPE.width);
const lowpass = gaussianLowpass(SHAPE, size, sigma);
const highpass = (x: Float32Array): Float32Array => {
  const l = lowpass(x);
  return x.map((v, i) => v - l[i]);
};

const common = () => ({
  shape: SHAPE,
  schedule,
  rng: createRng(11),
  sampler: studySampler('ddim'),
  steps: 33,
});

/** A hybrid of far = image k, near = the other, sampled without guidance by the prompt-dependent exact denoiser. */
async function hybridOf(far: 1 | 2, near: 1 | 2): Promise<Float32Array> {
  const rec = recording((t, r) => optimalEps(schedule, IMAGES[r.cond.data[0] as 1 | 2])(t, r));
  return hybrid({ ...common(), denoiser: rec.denoiser, far: cond(far), near: cond(near) });
}

describe('hybrid frequency split', () => {
  it('the far prompt fills the low frequencies and the near prompt the high', async () => {
    const out = await hybridOf(1, 2);
    const [far, near] = [IMAGES[1], IMAGES[2]];
    // The two images differ in both bands, so each check below can fail.
    expect(maxAbsDiff(lowpass(far), lowpass(near))).toBeGreaterThan(0.3);
    expect(maxAbsDiff(highpass(far), highpass(near))).toBeGreaterThan(0.3);

    // Exactly lowpass(far) + highpass(near) (DDIM reaches the exact denoiser's x0).
    const target = lowpass(far).map((v, i) => v + highpass(near)[i]);
    expect(maxAbsDiff(out, target)).toBeLessThan(1e-4);
    // Band by band: the far image's low band, the near image's high band. A Gaussian low-pass is
    // not a projection (lowpass(lowpass(x)) != lowpass(x)), so these match closely, not exactly,
    // and far below the distance between the two images' bands.
    expect(maxAbsDiff(lowpass(out), lowpass(far))).toBeLessThan(0.05);
    expect(maxAbsDiff(lowpass(out), lowpass(near))).toBeGreaterThan(0.3);
    expect(maxAbsDiff(highpass(out), highpass(near))).toBeLessThan(0.05);
    expect(maxAbsDiff(highpass(out), highpass(far))).toBeGreaterThan(0.3);
  });

  it('swapping the prompts swaps the bands', async () => {
    const out = await hybridOf(2, 1);
    expect(maxAbsDiff(lowpass(out), lowpass(IMAGES[2]))).toBeLessThan(0.05);
    expect(maxAbsDiff(highpass(out), highpass(IMAGES[1]))).toBeLessThan(0.05);
    expect(maxAbsDiff(out, await hybridOf(1, 2))).toBeGreaterThan(0.3);
  });
});
