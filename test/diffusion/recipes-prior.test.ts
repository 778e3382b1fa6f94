// The coarse data prior composed into every technique: each prompt's prior wraps that prompt's own
// branch (an anagram's in its view's frame, before the inverse view; a hybrid's far and near
// branches each with their own), inpainting's prior is confined to the mask's blocks, and SDEdit's
// acts from its start level. Plain functions stand in for the UNet and the prior.
import { describe, expect, it } from 'vitest';
import { blockAverage, coarsePriorRefiner, type X0Refiner } from '../../src/diffusion/coarse-prior.ts';
import { gaussianLowpass } from '../../src/diffusion/filters.ts';
import { createRng } from '../../src/diffusion/rng.ts';
import { abarAt, makeSchedule } from '../../src/diffusion/schedule.ts';
import { getView } from '../../src/diffusion/views/registry.ts';
import {
  anagram,
  anagramEstimator,
  hybrid,
  inpaint,
  PRIOR_MIN_REGION,
  priorRegion,
  sdedit,
  withPrior,
} from '../../src/diffusion/recipes/index.ts';
import type { DenoiserOutput, Shape } from '../../src/diffusion/types.ts';
import { cond, image, maxAbsDiff, promptEps, recording, studySampler } from './helpers.ts';

const SHAPE: Shape = { channels: 3, height: 8, width: 8 };
const N = 3 * 8 * 8;
const schedule = makeSchedule({ beta_schedule: 'squaredcos_cap_v2', num_train_timesteps: 1000 });

function base(seed: number) {
  const rec = recording(promptEps(schedule, SHAPE));
  return {
    rec,
    opts: { shape: SHAPE, schedule, denoiser: rec.denoiser, rng: createRng(seed), sampler: studySampler(), steps: 33 },
  };
}

/** A refiner that records the x_t it is shown and sets x0 to a fixed layout (every element) at every step. */
function fixedLayout(layout: Float32Array) {
  const seen: { xt: Float32Array; t: number }[] = [];
  const refine: X0Refiner = (x0, xt, t) => {
    seen.push({ xt: xt.slice(), t });
    x0.set(layout);
    return true;
  };
  return { refine, seen };
}

/** A refiner that records what it is shown and changes nothing. */
function watching() {
  const seen: { xt: Float32Array; t: number }[] = [];
  const refine: X0Refiner = (_x0, xt, t) => {
    seen.push({ xt: xt.slice(), t });
    return false;
  };
  return { refine, seen };
}

describe('anagram: each view with its own prompt\'s prior', () => {
  it('refines the transformed branch in the view\'s frame, then applies the inverse view', () => {
    const view = getView('rotate180');
    const layout = image(SHAPE, 4).map((v) => v * 0.9); // not symmetric under rotate180
    const { refine, seen } = fixedLayout(layout);
    const x = image(SHAPE, 1);
    const t = 500;
    const plan = { steps: [], x0: { clip: 1 } } as unknown as Parameters<typeof withPrior>[3];
    const o = { shape: SHAPE, schedule } as unknown as Parameters<typeof withPrior>[2];
    const est = anagramEstimator(
      [
        { cond: cond(1), view: getView('identity') },
        { cond: cond(2), view, wrap: (e) => withPrior(e, refine, o, plan) },
      ],
      {},
      SHAPE,
    );
    const reqs = est.requests(x, t);
    // A plain "network" that knows nothing: eps = 0.
    const out = est.combine(reqs.map((): DenoiserOutput => ({ eps: new Float32Array(N) })));
    expect(seen).toHaveLength(1);
    expect(Array.from(seen[0].xt)).toEqual(Array.from(view.apply(x, SHAPE)));
    // Branch 2 in the image's frame: x0 = V^-1(layout); branch 1: eps 0; the estimate is their mean.
    const a = Math.sqrt(abarAt(schedule, t));
    const s = Math.sqrt(1 - abarAt(schedule, t));
    const back = view.inverse(layout, SHAPE);
    const want = x.map((v, i) => 0.5 * ((v - a * back[i]) / s));
    expect(maxAbsDiff(out.eps, want)).toBeLessThan(1e-5);
    // Refining after the inverse view would have put the layout itself there, which differs.
    const wrong = x.map((v, i) => 0.5 * ((v - a * layout[i]) / s));
    expect(maxAbsDiff(out.eps, wrong)).toBeGreaterThan(0.1);
  });

  it('shows each prior its own frame at every step, and without priors is the plain anagram', async () => {
    const view = getView('flip');
    const up = watching();
    const tr = watching();
    const { rec, opts } = base(3);
    const withPriors = await anagram({ ...opts, upright: cond(1), transformed: cond(2), view, uprightPrior: up.refine, transformedPrior: tr.refine });
    const plain = await anagram({ ...base(3).opts, upright: cond(1), transformed: cond(2), view });
    // Priors that change nothing leave the sample as it was.
    expect(maxAbsDiff(withPriors, plain)).toBe(0);
    expect(up.seen).toHaveLength(33);
    expect(tr.seen).toHaveLength(33);
    for (let i = 0; i < 33; i++) {
      const [upright, flipped] = rec.batches[i].batch;
      expect(Array.from(up.seen[i].xt)).toEqual(Array.from(upright.x));
      expect(Array.from(tr.seen[i].xt)).toEqual(Array.from(flipped.x));
      expect(tr.seen[i].t).toBe(rec.batches[i].t);
    }
  });

  it('a transformed prompt\'s prior that acts changes the sample', async () => {
    const { refine } = fixedLayout(image(SHAPE, 5).map((v) => 0.5 * v));
    const a = await anagram({ ...base(3).opts, upright: cond(1), transformed: cond(2), view: 'flip', transformedPrior: refine });
    const b = await anagram({ ...base(3).opts, upright: cond(1), transformed: cond(2), view: 'flip' });
    expect(maxAbsDiff(a, b)).toBeGreaterThan(0.05);
  });
});

describe('hybrid: far and near branches each with their own prompt\'s prior', () => {
  it('the far prior sets the low frequencies and barely touches the high ones; the near prior the reverse', async () => {
    const filt = { kernelSize: 5, sigma: 1 };
    const plain = await hybrid({ ...base(7).opts, ...filt, far: cond(1), near: cond(2) });
    const layout = image(SHAPE, 6).map((v) => 0.7 * v);
    const far = await hybrid({ ...base(7).opts, ...filt, far: cond(1), near: cond(2), farPrior: fixedLayout(layout).refine });
    const near = await hybrid({ ...base(7).opts, ...filt, far: cond(1), near: cond(2), nearPrior: fixedLayout(layout).refine });
    const low = gaussianLowpass(SHAPE, 5, 1);
    const split = (x: Float32Array) => {
      const l = low(x);
      return { l, h: x.map((v, i) => v - l[i]) };
    };
    const [p, f, n] = [split(plain), split(far), split(near)];
    expect(maxAbsDiff(f.l, p.l)).toBeGreaterThan(0.05);
    expect(maxAbsDiff(n.h, p.h)).toBeGreaterThan(0.05);
    // Each prior is in its own branch only: both priors called on the loop's x at every step.
    const fw = watching();
    const nw = watching();
    const { rec, opts } = base(7);
    await hybrid({ ...opts, far: cond(1), near: cond(2), farPrior: fw.refine, nearPrior: nw.refine });
    expect(fw.seen.map((s) => s.t)).toEqual(rec.batches.map((b) => b.t));
    expect(nw.seen.map((s) => s.t)).toEqual(rec.batches.map((b) => b.t));
    expect(Array.from(fw.seen[5].xt)).toEqual(Array.from(rec.batches[5].batch[0].x));
  });
});

describe('inpainting: the prior in the masked region', () => {
  const half = () => {
    const m = new Float32Array(64);
    for (let y = 0; y < 8; y++) for (let x = 4; x < 8; x++) m[y * 8 + x] = 1;
    return m;
  };

  it('the rule: block weights are the share of each block the mask repaints; too small a hole gets none', () => {
    const r = priorRegion(half(), SHAPE, 4)!;
    expect(Array.from(r)).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
    const small = new Float32Array(64);
    small[0] = 1; // one pixel: 1/64 of the picture
    expect(priorRegion(small, SHAPE, 4)).toBeUndefined();
    // Exactly the least share still counts: 8 of 64 pixels as two whole 2x2 blocks of 16.
    const eighth = new Float32Array(64);
    for (const p of [0, 1, 8, 9, 2, 3, 10, 11]) eighth[p] = 1;
    expect(8 / 64).toBe(PRIOR_MIN_REGION);
    expect(priorRegion(eighth, SHAPE, 4)).toBeDefined();
    // A C*H*W mask reads its first channel.
    const chw = new Float32Array(N);
    chw.set(half());
    expect(Array.from(priorRegion(chw, SHAPE, 4)!)).toEqual(Array.from(r));
    expect(() => priorRegion(new Float32Array(10), SHAPE, 4)).toThrow(/mask has 10 values/);
  });

  it('a confined prior weighs only the region\'s blocks and changes only them', () => {
    const size = 2;
    const per = 3 * size * size;
    // Two tiles: the first matches x_t on the left blocks, the second on the right blocks.
    const tiles = new Float32Array(2 * per);
    const xtTile = new Float32Array(per);
    for (let c = 0; c < 3; c++)
      for (let b = 0; b < 4; b++) {
        const right = b % 2 === 1;
        const v = 0.6 - 0.3 * c;
        xtTile[c * 4 + b] = v;
        tiles[c * 4 + b] = right ? -v : v;
        tiles[per + c * 4 + b] = right ? v : -v;
      }
    const xt = new Float32Array(N);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) xt[(c * 8 + y) * 8 + x] = xtTile[c * 4 + Math.floor(y / 4) * 2 + Math.floor(x / 4)];
    const region = priorRegion(half(), SHAPE, size)!;
    const refine = coarsePriorRefiner({ shape: SHAPE, size, tiles, weights: [1, 1], fromT: 800, toT: 300, region })!;
    const x0 = new Float32Array(N);
    expect(refine(x0, xt, 900, 0.9)).toBe(true);
    const avg = blockAverage(x0, SHAPE, size);
    for (let c = 0; c < 3; c++) {
      expect(avg[c * 4 + 0]).toBe(0); // left blocks untouched
      expect(avg[c * 4 + 2]).toBe(0);
      expect(avg[c * 4 + 1]).toBeCloseTo(tiles[per + c * 4 + 1], 4); // right blocks: the tile that matches there
      expect(avg[c * 4 + 3]).toBeCloseTo(tiles[per + c * 4 + 3], 4);
    }
    // Unconfined, the left blocks' evidence for the first tile cancels the right blocks' for the
    // second: an even mix, and the left blocks change too.
    const whole = coarsePriorRefiner({ shape: SHAPE, size, tiles, weights: [1, 1], fromT: 800, toT: 300 })!;
    const y0 = new Float32Array(N);
    whole(y0, xt, 900, 0.9);
    expect(Math.abs(blockAverage(y0, SHAPE, size)[1])).toBeLessThan(1e-4);
    const leftOnly = coarsePriorRefiner({ shape: SHAPE, size, tiles, weights: [1, 0], fromT: 800, toT: 300 })!;
    const z0 = new Float32Array(N);
    leftOnly(z0, xt, 900, 0.9);
    expect(blockAverage(z0, SHAPE, size)[0]).toBeCloseTo(tiles[0], 4);
    expect(() => coarsePriorRefiner({ shape: SHAPE, size, tiles, weights: [1, 1], fromT: 800, toT: 300, region: new Float32Array(3) })).toThrow(
      /region has 3 values/,
    );
    expect(coarsePriorRefiner({ shape: SHAPE, size, tiles, weights: [1, 1], fromT: 800, toT: 300, region: new Float32Array(4) })).toBeUndefined();
  });

  it('wraps the estimator and still keeps the known pixels exactly', async () => {
    const img = image(SHAPE, 2);
    const mask = half();
    const { refine, seen } = fixedLayout(image(SHAPE, 8).map((v) => 0.5 * v));
    const out = await inpaint({ ...base(5).opts, image: img, mask, cond: cond(1), prior: refine });
    const plain = await inpaint({ ...base(5).opts, image: img, mask, cond: cond(1) });
    expect(seen).toHaveLength(33);
    let maxChange = 0;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 8; y++)
        for (let x = 0; x < 8; x++) {
          const i = (c * 8 + y) * 8 + x;
          if (mask[y * 8 + x] === 0) expect(out[i]).toBe(img[i]);
          else maxChange = Math.max(maxChange, Math.abs(out[i] - plain[i]));
        }
    expect(maxChange).toBeGreaterThan(0.05);
  });
});

describe('SDEdit: the prompt\'s prior from the start level on', () => {
  it('is shown each step from the start index, on the loop\'s x', async () => {
    const w = watching();
    const { rec, opts } = base(9);
    const plain = await sdedit({ ...base(9).opts, image: image(SHAPE, 2), iStart: 10, cond: cond(1) });
    const out = await sdedit({ ...opts, image: image(SHAPE, 2), iStart: 10, cond: cond(1), prior: w.refine });
    expect(maxAbsDiff(out, plain)).toBe(0);
    expect(w.seen.map((s) => s.t)).toEqual(rec.batches.map((b) => b.t));
    expect(w.seen[0].t).toBe(690);
    expect(Array.from(w.seen[0].xt)).toEqual(Array.from(rec.batches[0].batch[0].x));
  });
});
