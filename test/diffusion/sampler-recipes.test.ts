// Every technique runs with every sampler: text-to-image (with the coarse prior wrapper), SDEdit
// from the sampler's own start level, inpainting re-imposing known pixels at the sampler's level,
// anagrams and hybrids; each deterministic per seed.
import { describe, expect, it } from 'vitest';
import { coarsePriorRefiner } from '../../src/diffusion/coarse-prior.ts';
import { forward } from '../../src/diffusion/forward.ts';
import { anagram, hybrid, inpaint, sample, sdedit } from '../../src/diffusion/recipes/index.ts';
import { createRng } from '../../src/diffusion/rng.ts';
import { getSampler, SAMPLER_NAMES } from '../../src/diffusion/samplers/registry.ts';
import { makeSchedule, stridedTimesteps } from '../../src/diffusion/schedule.ts';
import { SHAPE, cond, image, maxAbsDiff, promptEps, recording } from './helpers.ts';

const schedule = makeSchedule({ beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000 });
const n = SHAPE.channels * SHAPE.height * SHAPE.width;

function opts(name: string, seed = 5) {
  const rec = recording(promptEps(schedule, SHAPE));
  return {
    rec,
    o: {
      shape: SHAPE,
      schedule,
      denoiser: rec.denoiser,
      rng: createRng(seed),
      sampler: getSampler(name),
      timesteps: stridedTimesteps(12, 1000),
    },
  };
}

describe.each(SAMPLER_NAMES)('sampler %s', (name) => {
  const sampler = getSampler(name);
  const ts = sampler.timesteps?.(stridedTimesteps(12, 1000), schedule) ?? stridedTimesteps(12, 1000);

  it('imagine converges to the prompt image of an optimal denoiser, with and without the prior', async () => {
    const { rec, o } = opts(name);
    const out = await sample({ ...o, cond: cond(2) });
    expect(maxAbsDiff(out, image(SHAPE, 2))).toBeLessThan(name === 'ddpm' ? 2e-2 : 1e-4);
    expect(rec.batches.map((b) => b.t)).toEqual(ts.slice(0, -1));
    const prior = coarsePriorRefiner({
      shape: SHAPE,
      size: 4,
      tiles: new Float32Array(3 * 16).fill(0.1),
      weights: [1],
      fromT: 900,
      toT: 300,
    });
    const withPrior = await sample({ ...opts(name).o, cond: cond(2), prior });
    expect(withPrior.every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(withPrior, out)).toBeGreaterThan(0);
    expect(await sample({ ...opts(name).o, cond: cond(2), prior })).toEqual(withPrior);
  });

  it("sketch starts at the sampler's timestep of the start index", async () => {
    const { rec, o } = opts(name);
    const img = image(SHAPE, 1);
    const out = await sdedit({ ...o, image: img, iStart: 4, cond: cond(3) });
    expect(rec.batches[0].t).toBe(ts[4]);
    expect(rec.batches).toHaveLength(8);
    const first = rec.batches[0].batch[0].x;
    expect(maxAbsDiff(first, forward(img, createRng(5).normal(n), schedule.alphasCumprod[ts[4]]))).toBe(0);
    expect(await sdedit({ ...opts(name).o, image: img, iStart: 4, cond: cond(3) })).toEqual(out);
  });

  it("inpaint keeps known pixels exactly and re-imposes them at the next step's level", async () => {
    const { o } = opts(name);
    const img = image(SHAPE, 1);
    const mask = new Float32Array(SHAPE.height * SHAPE.width);
    for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) mask[y * SHAPE.width + x] = 1;
    const xs: Float32Array[] = [];
    const out = await inpaint({
      ...o,
      image: img,
      mask,
      cond: cond(2),
      onStep: (i) => void xs.push(i.x.slice()),
    });
    const target = image(SHAPE, 2);
    for (let c = 0; c < SHAPE.channels; c++)
      for (let p = 0; p < mask.length; p++) {
        const i = c * mask.length + p;
        if (mask[p] === 0) expect(out[i]).toBe(img[i]);
        else expect(Math.abs(out[i] - target[i])).toBeLessThan(name === 'ddpm' ? 5e-2 : 1e-3);
      }
    // A known pixel at an intermediate step sits at the noise level of that step's t'.
    const known = 0;
    const a = schedule.alphasCumprod[ts[6]];
    expect(Math.abs(xs[5][known] - Math.sqrt(a) * img[known])).toBeLessThan(5 * Math.sqrt(1 - a));
    expect(await inpaint({ ...opts(name).o, image: img, mask, cond: cond(2) })).toEqual(out);
  });

  it('anagram and hybrid run, stay finite and are deterministic per seed', async () => {
    const a = await anagram({ ...opts(name).o, upright: cond(1), transformed: cond(2), view: 'flip' });
    expect(a.every(Number.isFinite)).toBe(true);
    expect(await anagram({ ...opts(name).o, upright: cond(1), transformed: cond(2), view: 'flip' })).toEqual(
      a,
    );
    const h = await hybrid({ ...opts(name).o, far: cond(1), near: cond(2) });
    expect(h.every(Number.isFinite)).toBe(true);
    expect(await hybrid({ ...opts(name).o, far: cond(1), near: cond(2) })).toEqual(h);
    expect(maxAbsDiff(await hybrid({ ...opts(name, 6).o, far: cond(1), near: cond(2) }), h)).toBeGreaterThan(
      0,
    );
  });
});
