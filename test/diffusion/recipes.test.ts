import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/diffusion/rng.ts';
import { makeSchedule, stridedTimesteps } from '../../src/diffusion/schedule.ts';
import { forward } from '../../src/diffusion/forward.ts';
import { getView } from '../../src/diffusion/views/registry.ts';
import {
  anagram,
  denoise,
  hybrid,
  inpaint,
  noise,
  sample,
  sdedit,
} from '../../src/diffusion/recipes/index.ts';
import type { Shape } from '../../src/diffusion/types.ts';
import { SHAPE, cond, image, maxAbsDiff, optimalEps, promptEps, recording, studySampler } from './helpers.ts';

const schedule = makeSchedule({ beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000 });
const n = SHAPE.channels * SHAPE.height * SHAPE.width;

function base(seed: number, withVar = false) {
  const rec = recording(promptEps(schedule, SHAPE, withVar));
  return {
    rec,
    opts: {
      shape: SHAPE,
      schedule,
      denoiser: rec.denoiser,
      rng: createRng(seed),
      uncond: cond(0),
      guidanceScale: 7,
      sampler: studySampler(),
      steps: 33,
    },
  };
}

describe('sample', () => {
  it('same seed gives identical arrays, another seed a different one', async () => {
    const a = await sample({ ...base(5, true).opts, cond: cond(1) });
    const b = await sample({ ...base(5, true).opts, cond: cond(1) });
    const c = await sample({ ...base(6, true).opts, cond: cond(1) });
    expect(a).toEqual(b);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(1e-3);
    expect(a.every(Number.isFinite)).toBe(true);
  });

  it('makes one batched call per step with cond and uncond', async () => {
    const { rec, opts } = base(5);
    await sample({ ...opts, cond: cond(1) });
    expect(rec.calls).toEqual(new Array(33).fill(2));
  });

  it('without CFG converges to the prompt image of an optimal denoiser', async () => {
    const { opts } = base(5);
    const out = await sample({ ...opts, uncond: undefined, cond: cond(3) });
    expect(maxAbsDiff(out, image(SHAPE, 3))).toBeLessThan(1e-2);
  });
});

describe('sdedit', () => {
  it('starts at ts[iStart] from the noised image and runs the remaining steps', async () => {
    const { rec, opts } = base(5);
    const img = image(SHAPE, 2);
    await sdedit({ ...opts, image: img, iStart: 10, cond: cond(1) });
    expect(rec.batches.map((b) => b.t)).toEqual(stridedTimesteps().slice(10, 33));
    const eps = createRng(5).normal(n);
    expect(rec.batches[0].batch[0].x).toEqual(forward(img, eps, schedule.alphasCumprod[690]));
  });
});

describe('inpaint', () => {
  it('keeps the known pixels exactly and changes the masked ones', async () => {
    const { opts } = base(5, true);
    const img = image(SHAPE, 2);
    const mask = new Float32Array(SHAPE.height * SHAPE.width);
    for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) mask[y * SHAPE.width + x] = 1;
    const out = await inpaint({ ...opts, image: img, mask, cond: cond(1) });
    let changed = 0;
    for (let c = 0; c < SHAPE.channels; c++)
      for (let p = 0; p < mask.length; p++) {
        const i = c * mask.length + p;
        if (mask[p] === 0) expect(out[i]).toBe(img[i]);
        else if (Math.abs(out[i] - img[i]) > 1e-3) changed++;
      }
    expect(changed).toBeGreaterThan(20);
  });

  it("projects known pixels to forward(x_orig, t') after each step", async () => {
    const { opts } = base(5);
    const img = image(SHAPE, 2);
    const mask = new Float32Array(n).fill(0);
    const xs: Float32Array[] = [];
    await inpaint({ ...opts, image: img, mask, cond: cond(1), onStep: (i) => void xs.push(i.x.slice()) });
    const a = schedule.alphasCumprod[960];
    const z = (xs[0][0] - Math.sqrt(a) * img[0]) / Math.sqrt(1 - a);
    expect(Math.abs(z)).toBeLessThan(6);
    expect(xs[32]).toEqual(img);
  });
});

describe('anagram', () => {
  it('identity view with the same prompt twice equals plain sampling', async () => {
    const plain = await sample({ ...base(9, true).opts, cond: cond(1) });
    const a = base(9, true);
    const ana = await anagram({ ...a.opts, upright: cond(1), transformed: cond(1), view: 'identity' });
    expect(ana).toEqual(plain);
    expect(a.rec.calls).toEqual(new Array(33).fill(4));
  });

  it('asks for V x with the second prompt in the same batch', async () => {
    const { rec, opts } = base(9);
    const shape: Shape = SHAPE;
    const out = await anagram({ ...opts, upright: cond(1), transformed: cond(2), view: getView('flip') });
    const [c1, u1, c2, u2] = rec.batches[0].batch;
    expect(c1.cond.data[0]).toBe(1);
    expect(u1.cond.data[0]).toBe(0);
    expect(c2.cond.data[0]).toBe(2);
    expect(u2.cond.data[0]).toBe(0);
    expect(c2.x).toEqual(getView('flip').apply(c1.x, shape));
    expect(out.every(Number.isFinite)).toBe(true);
  });

  it('refuses a view that does not fit the shape', async () => {
    const wide: Shape = { channels: 3, height: 8, width: 16 };
    await expect(
      anagram({ ...base(1).opts, shape: wide, upright: cond(1), transformed: cond(2), view: 'rotate90cw' }),
    ).rejects.toThrow(/square/);
  });
});

describe('hybrid', () => {
  it('one prompt with itself equals plain sampling', async () => {
    const plain = await sample({ ...base(4, true).opts, cond: cond(1) });
    const h = base(4, true);
    const hyb = await hybrid({ ...h.opts, far: cond(1), near: cond(1) });
    expect(maxAbsDiff(hyb, plain)).toBeLessThan(1e-5);
    expect(h.rec.calls).toEqual(new Array(33).fill(4));
  });

  it('two prompts give something else', async () => {
    const plain = await sample({ ...base(4).opts, cond: cond(1) });
    const hyb = await hybrid({ ...base(4).opts, far: cond(1), near: cond(2), kernelSize: 5, sigma: 1 });
    expect(maxAbsDiff(hyb, plain)).toBeGreaterThan(1e-2);
  });
});

describe('noise and denoise', () => {
  it('noise returns forward(image, t) for each t with one shared eps', () => {
    const img = image(SHAPE, 0);
    const outs = noise({ image: img, timesteps: [250, 500, 750], schedule, rng: createRng(3) });
    const eps = createRng(3).normal(n);
    expect(outs).toHaveLength(3);
    outs.forEach((o, i) => expect(o).toEqual(forward(img, eps, schedule.alphasCumprod[[250, 500, 750][i]])));
  });

  it('blur, one-step and iterative share the noisy image; model methods recover the image', async () => {
    const img = image(SHAPE, 2);
    const exact = recording(optimalEps(schedule, img));
    const common = { shape: SHAPE, schedule, denoiser: exact.denoiser, image: img, t: 500, cond: cond(1), sampler: studySampler(), steps: 33 };
    const blur = await denoise({ ...common, rng: createRng(8), method: 'blur' });
    const one = await denoise({ ...common, rng: createRng(8), method: 'one-step' });
    const it = await denoise({ ...common, rng: createRng(8), method: 'iterative' });
    expect(one.noisy).toEqual(blur.noisy);
    expect(it.noisy).toEqual(blur.noisy);
    expect(maxAbsDiff(one.denoised, img)).toBeLessThan(1e-5);
    expect(maxAbsDiff(it.denoised, img)).toBeLessThan(1e-2);
    expect(maxAbsDiff(blur.denoised, blur.noisy)).toBeGreaterThan(0.1);
    expect(exact.batches.map((b) => b.t)).toEqual([
      500,
      500,
      ...stridedTimesteps().filter((t) => t < 500 && t > 0),
    ]);
    await expect(
      denoise({ ...common, cond: undefined, rng: createRng(8), method: 'one-step' }),
    ).rejects.toThrow(/prompt/);
  });
});
