// Every technique runs with every sampler, on the study's selection (the bundled model's) and on
// diffusers' own (a pulled model's): text-to-image (with the coarse prior wrapper), SDEdit from the
// plan's start level, inpainting re-imposing known pixels at the level each step lands on, anagrams
// and hybrids; each deterministic per seed.
import { describe, expect, it } from 'vitest';
import { coarsePriorRefiner } from '../../src/diffusion/coarse-prior.ts';
import { anagram, hybrid, inpaint, sample, sdedit } from '../../src/diffusion/recipes/index.ts';
import { createRng } from '../../src/diffusion/rng.ts';
import { createSampler, SAMPLER_NAMES } from '../../src/diffusion/samplers/registry.ts';

/** The samplers of VP (DDPM-family) models; flow-euler runs flow-matching models only. */
const VP_SAMPLERS = SAMPLER_NAMES.filter((n) => n !== 'flow-euler');
import { makeSchedule } from '../../src/diffusion/schedule.ts';
import { SHAPE, STUDY_CONFIG, cond, image, maxAbsDiff, promptEps, recording } from './helpers.ts';

const schedule = makeSchedule({ beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000 });
const n = SHAPE.channels * SHAPE.height * SHAPE.width;
const CONFIGS = {
  study: STUDY_CONFIG,
  diffusers: { beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000, clip_sample: false, steps_offset: 1 },
};
const STEPS = 12;

describe.each(Object.keys(CONFIGS) as Array<keyof typeof CONFIGS>)('%s selection', (selection) => {
  describe.each(VP_SAMPLERS)('sampler %s', (name) => {
    const sampler = createSampler(name, CONFIGS[selection]);
    const plan = sampler.plan(STEPS, schedule);
    const ts = plan.steps.map((s) => s.t);
    const opts = (seed = 5) => {
      const rec = recording(promptEps(schedule, SHAPE));
      return { rec, o: { shape: SHAPE, schedule, denoiser: rec.denoiser, rng: createRng(seed), sampler, steps: STEPS } };
    };
    // ddpm re-noises until its last step; the others land on the clean estimate.
    // A plan that ends on abar_0 (set_alpha_to_one false) keeps that level's noise.
    const tol = Math.max(name === 'ddpm' || name === 'ddim-eta1' ? 5e-2 : 1e-3, 4 * plan.steps[plan.steps.length - 1].to.sigma);

    it('imagine converges to the prompt image of an optimal denoiser, with and without the prior', async () => {
      const { rec, o } = opts();
      const out = await sample({ ...o, cond: cond(2) });
      expect(maxAbsDiff(out, image(SHAPE, 2))).toBeLessThan(tol);
      expect(rec.batches.map((b) => b.t)).toEqual(ts);
      const prior = coarsePriorRefiner({
        shape: SHAPE,
        size: 4,
        tiles: new Float32Array(3 * 16).fill(0.1),
        weights: [1],
        fromT: 900,
        toT: 300,
      });
      if (ts.every(Number.isInteger)) {
        // The prior changes the trajectory (the last x0 of an exact one-image denoiser is that image either way).
        const firstX = async (p?: typeof prior) => {
          const xs: Float32Array[] = [];
          await sample({ ...opts().o, cond: cond(2), prior: p, onStep: (i) => void xs.push(i.x.slice()) });
          return xs[0];
        };
        const withPrior = await sample({ ...opts().o, cond: cond(2), prior });
        expect(withPrior.every(Number.isFinite)).toBe(true);
        expect(maxAbsDiff(await firstX(prior), await firstX())).toBeGreaterThan(0);
        expect(await sample({ ...opts().o, cond: cond(2), prior })).toEqual(withPrior);
      }
    });

    it("sketch starts at the plan's step of the start index, from the image noised to that level", async () => {
      const { rec, o } = opts();
      const img = image(SHAPE, 1);
      const out = await sdedit({ ...o, image: img, iStart: 4, cond: cond(3) });
      expect(rec.batches[0].t).toBe(ts[4]);
      expect(rec.batches).toHaveLength(ts.length - 4);
      const { alpha, sigma } = plan.steps[4].at;
      const z = createRng(5).normal(n);
      const first = rec.batches[0].batch[0].x;
      expect(maxAbsDiff(first, img.map((v, i) => alpha * v + sigma * z[i]))).toBe(0);
      expect(await sdedit({ ...opts().o, image: img, iStart: 4, cond: cond(3) })).toEqual(out);
    });

    it('inpaint keeps known pixels exactly and re-imposes them at the level each step lands on', async () => {
      const { o } = opts();
      const img = image(SHAPE, 1);
      const mask = new Float32Array(SHAPE.height * SHAPE.width);
      for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) mask[y * SHAPE.width + x] = 1;
      const xs: Float32Array[] = [];
      const out = await inpaint({ ...o, image: img, mask, cond: cond(2), onStep: (i) => void xs.push(i.x.slice()) });
      const target = image(SHAPE, 2);
      for (let c = 0; c < SHAPE.channels; c++)
        for (let p = 0; p < mask.length; p++) {
          const i = c * mask.length + p;
          if (mask[p] === 0) expect(out[i]).toBe(img[i]);
          else expect(Math.abs(out[i] - target[i])).toBeLessThan(tol);
        }
      const { alpha, sigma } = plan.steps[5].to;
      expect(Math.abs(xs[5][0] - alpha * img[0])).toBeLessThan(5 * sigma);
      expect(await inpaint({ ...opts().o, image: img, mask, cond: cond(2) })).toEqual(out);
    });

    it('anagram and hybrid run, stay finite and are deterministic per seed', async () => {
      const a = await anagram({ ...opts().o, upright: cond(1), transformed: cond(2), view: 'flip' });
      expect(a.every(Number.isFinite)).toBe(true);
      expect(await anagram({ ...opts().o, upright: cond(1), transformed: cond(2), view: 'flip' })).toEqual(a);
      const h = await hybrid({ ...opts().o, far: cond(1), near: cond(2) });
      expect(h.every(Number.isFinite)).toBe(true);
      expect(await hybrid({ ...opts().o, far: cond(1), near: cond(2) })).toEqual(h);
      expect(maxAbsDiff(await hybrid({ ...opts(6).o, far: cond(1), near: cond(2) }), h)).toBeGreaterThan(0);
    });
  });
});
