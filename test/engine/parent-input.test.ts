// A follow-up's input as the inference process builds it (pipeline/parent-input.ts): candidate n
// cut exactly out of the parent's raw result; zoom out and pan move it on its canvas with the new
// border as the mask; a spec names its source instead of an image, and the executor inpaints a
// zoom-out from it with the kept pixels untouched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  encodePng,
  extendCanvas,
  imageForModel,
  makeGrid,
  resizeImage,
  type RgbImage,
} from '../../src/imaging/index.ts';
import { parseJobSpec, type FollowUpSource } from '../../src/jobs/spec.ts';
import { ExecuteError, executeJob } from '../../src/pipeline/execute.ts';
import { parentInput } from '../../src/pipeline/parent-input.ts';
import { loadModel, type LoadedModel } from '../../src/runtime/index.ts';
import { noiseImage } from '../imaging/helpers.ts';
import { MODELS_DIR } from './helpers.ts';

const SIZE = { width: 64, height: 64 };
const cells = [1, 2, 3, 4].map((seed) => noiseImage(64, 64, seed));
const png = (img: RgbImage) => encodePng(img.rgb, img.width, img.height);
const src = (s: Partial<FollowUpSource>): FollowUpSource => ({ parent: 'job1', candidate: 1, count: 1, action: 'u', ...s });

describe('parentInput', () => {
  it('cuts candidate n exactly out of a grid, as an upload of that candidate would be read', async () => {
    const grid = await png(makeGrid(cells));
    const asked: string[] = [];
    const readResult = async (jobId: string) => (asked.push(jobId), grid);
    for (const n of [1, 2, 3, 4]) {
      const got = await parentInput(src({ candidate: n, count: 4, action: 'vt' }), { readResult }, SIZE);
      expect(got.image).toEqual((await imageForModel(cells[n - 1], 64, 64)).image);
      expect(got.border).toBeUndefined();
    }
    expect(asked).toEqual(['job1', 'job1', 'job1', 'job1']);
  });

  it('zoom out brings an upscaled picture back to the model size, moves it, and masks the new border', async () => {
    const big = noiseImage(128, 128, 9);
    const readResult = async () => png(big);
    const got = await parentInput(src({ action: 'zo2' }), { readResult }, SIZE);
    const canvas = await extendCanvas(await resizeImage(big, 64, 64), { zoom: 2 });
    expect(got.image).toEqual((await imageForModel(canvas.image, 64, 64)).image);
    const { x, y, width, height } = canvas.kept;
    expect([x, y, width, height]).toEqual([16, 16, 32, 32]);
    for (let py = 0; py < 64; py++)
      for (let px = 0; px < 64; px++) {
        const inside = px >= x && px < x + width && py >= y && py < y + height;
        expect(got.border![py * 64 + px]).toBe(inside ? 0 : 1);
      }
    const pan = await parentInput(src({ action: 'pl' }), { readResult }, SIZE);
    expect(pan.border!.slice(0, 16).every((v) => v === 1)).toBe(true);
    expect(pan.border!.slice(16, 64).every((v) => v === 0)).toBe(true);
  });

  it('says the picture is gone when the parent result cannot be read', async () => {
    const gone = 'The picture of job job1 is no longer stored; reroll it instead.';
    const missing = async () => {
      throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    };
    await expect(parentInput(src({}), { readResult: missing }, SIZE)).rejects.toThrow(new ExecuteError(gone));
    await expect(parentInput(src({}), {}, SIZE)).rejects.toThrow(gone);
  });
});

describe('a spec with a follow-up source', () => {
  it('stands in for the image, and must match the technique', () => {
    const ok = parseJobSpec({ technique: 'sketch', source: src({ candidate: 2, count: 4 }), seed: 1 });
    expect(ok).toMatchObject({ ok: true, spec: { source: { parent: 'job1', candidate: 2, count: 4, action: 'u' } } });
    expect(parseJobSpec({ technique: 'inpaint', prompt: 'sea', source: src({ action: 'zo15' }) }).ok).toBe(true);
    const bad = (input: Record<string, unknown>) => {
      const r = parseJobSpec(input);
      return r.ok ? null : r.message;
    };
    expect(bad({ technique: 'sketch', source: src({ action: 'pl' }) })).toBe('Zoom out and pan follow-ups are inpaint jobs.');
    expect(bad({ technique: 'inpaint', prompt: 'sea', source: src({ action: 'vs' }) })).toBe('A vs follow-up is a sketch job.');
    expect(bad({ technique: 'sketch', source: src({}), image: 'a'.repeat(64) })).toBe(
      'Give an image or a follow-up source, not both.',
    );
    expect(bad({ technique: 'sketch', source: src({ candidate: 3, count: 2 }) })).toBe(
      'Candidate must be at most the candidate count.',
    );
    expect(bad({ technique: 'sketch' })).toBe('Sketch needs an image (attach one).');
  });
});

describe('executeJob with a follow-up source (tiny model)', () => {
  let model: LoadedModel;
  beforeAll(async () => {
    model = await loadModel('test-tiny', { modelsDir: MODELS_DIR });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('inpaints a zoom-out from the parent picture and keeps the shrunk picture exactly', async () => {
    const parent = noiseImage(64, 64, 5);
    const ctx = {
      model,
      loadImage: () => Promise.reject(new Error('no uploads here')),
      loadMask: () => Promise.reject(new Error('no uploads here')),
      readResult: async () => png(parent),
    };
    const r = parseJobSpec({ technique: 'inpaint', prompt: 'rocket', steps: 3, seed: 2, source: src({ action: 'zo2' }) });
    if (!r.ok) throw new Error(r.message);
    const out = await executeJob(r.spec, ctx);
    const canvas = await extendCanvas(await resizeImage(parent, 64, 64), { zoom: 2 });
    // Mean difference from the canvas over a rectangle.
    const diff = (x0: number, y0: number, x1: number, y1: number) => {
      let sum = 0;
      for (let y = y0; y < y1; y++)
        for (let i = (y * 64 + x0) * 3; i < (y * 64 + x1) * 3; i++) sum += Math.abs(out.image.rgb[i] - canvas.image.rgb[i]);
      return sum / ((x1 - x0) * (y1 - y0) * 3);
    };
    expect(diff(16, 16, 48, 48)).toBe(0); // the kept picture, exactly
    expect(diff(0, 0, 64, 16)).toBeGreaterThan(10); // the border is new
  });
});
