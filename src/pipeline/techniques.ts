// Runs in the inference process and the CLI.
// One function per technique of the study, in a table: each encodes its prompts, reads its input
// and runs its recipe of src/diffusion on a TechniqueRun (technique-run.ts), answering with the
// final sample (and, for the strips of noise and denoise, a picture of its own).
import {
  anagram,
  createRng,
  denoise,
  getView,
  hybrid,
  hybridFilterFor,
  inpaint,
  noise,
  planBelow,
  sample,
  sdedit,
  tiledSdedit,
  type Guidance,
  type Schedule,
} from '../diffusion/index.ts';
import { makeStrip, tensorToRgb, type RgbImage } from '../imaging/index.ts';
import { conceptsForPrior } from '../runtime/coarse-prior.ts';
import type { EncodedPrompt } from '../runtime/types.ts';
import type { Technique } from '../jobs/spec.ts';
import { ExecuteError } from './execute-error.ts';
import { resizeMaskMax, resizeMaskNearest } from './masks.ts';
import type { TechniqueResult, TechniqueRun } from './technique-run.ts';
import { upscaleInput } from './upscale.ts';

/**
 * One prompt's coarse data prior, where the model has one and knows the prompt's concepts: it
 * leaves out concepts of the negative prompt when guidance uses it (models/emoji/README.md), and
 * with a mask (inpainting) lays out only the masked blocks.
 */
function priorFor(run: TechniqueRun, understood: EncodedPrompt['understood'], g: Guidance, mask?: Float32Array) {
  if (run.spec.prior === false) return undefined; // the job asked for the network alone
  const negated = g.uncond ? (run.prompts.find((p) => p.role === 'negative')?.understood ?? []) : [];
  return run.model.coarsePrior?.(conceptsForPrior(understood, negated), mask);
}

/** Text-to-image: pure noise, sampled with CFG; the model's coarse prior, where it has one, for the understood concepts. */
async function imagine(run: TechniqueRun): Promise<TechniqueResult> {
  const { spec } = run;
  const c = await run.encode('prompt', spec.prompt);
  const g = await run.guidanceFor([spec.prompt]);
  const prior = priorFor(run, c.understood, g);
  return { finalSample: await sample({ ...run.base(), ...g, cond: c.cond, prior }), loopSteps: spec.steps };
}

/**
 * SDEdit (Meng et al. 2022): the input noised to the spec's noise level, then denoised with the
 * prompt's prior (it acts from the steps above its lowest timestep, so only start levels above it
 * feel it); small pixel models may upscale 2x over tiles (MultiDiffusion), a low-noise detail pass
 * whose windows hold no whole picture, without the prior.
 */
async function sketch(run: TechniqueRun): Promise<TechniqueResult> {
  const { spec, shape } = run;
  const { image } = await run.input();
  const c = await run.encode('prompt', spec.prompt);
  const g = await run.guidanceFor([spec.prompt]);
  const iStart = spec.noiseLevel ?? 0;
  const loopSteps = spec.steps - iStart;
  const up = spec.upscale && !run.latent ? await upscaleInput(image, run.img) : null;
  if (up) {
    Object.assign(run.out, { width: up.shape.width, height: up.shape.height });
    const stride = Math.max(1, Math.floor(shape.width / 2));
    const opts = {
      ...run.base(),
      ...g,
      shape: up.shape,
      tile: shape,
      stride,
      cond: c.cond,
      image: up.image,
      iStart,
    };
    return { finalSample: await tiledSdedit(opts), loopSteps };
  }
  const x0 = await run.model.toSample(image);
  const prior = priorFor(run, c.understood, g);
  return { finalSample: await sdedit({ ...run.base(), ...g, cond: c.cond, image: x0, iStart, prior }), loopSteps };
}

/** Inpainting: the mask's white part (or the image's transparent pixels) regenerated, the rest projected back after each step; the prompt's prior lays out the masked blocks when they make at least 1/8 of the picture (priorRegion). */
async function inpaintTechnique(run: TechniqueRun): Promise<TechniqueResult> {
  const { spec, img, shape } = run;
  const { image, alphaMask, border } = await run.input();
  const given = spec.mask ? await run.ctx.loadMask(spec.mask) : (border ?? alphaMask);
  if (!given) {
    throw new ExecuteError(
      'Inpainting needs a mask: attach a mask image (white = repaint) or an image with transparent areas to repaint.',
    );
  }
  if (!given.some((m) => m > 0))
    throw new ExecuteError(
      'The mask is empty: nothing to repaint (white areas of the mask, or transparent areas of the image, are repainted).',
    );
  if (given.every((m) => m > 0))
    throw new ExecuteError(
      'The mask covers the whole image: use /imagine instead, or leave some of the image unmasked.',
    );
  // A latent cell is regenerated when any pixel it covers is (max-pooling); the same size is the identity.
  const mask = run.latent
    ? resizeMaskMax(given, img.width, img.height, shape.width, shape.height)
    : resizeMaskNearest(given, img.width, img.height, shape.width, shape.height);
  const c = await run.encode('prompt', spec.prompt);
  const g = await run.guidanceFor([spec.prompt]);
  const x0 = await run.model.toSample(image);
  const prior = run.latent ? undefined : priorFor(run, c.understood, g, mask);
  const finalSample = await inpaint({ ...run.base(), ...g, cond: c.cond, image: x0, mask, prior });
  // The VAE cannot reproduce the known pixels exactly: restore them after decoding.
  return {
    finalSample,
    loopSteps: spec.steps,
    ...(run.latent ? { restoreKnown: { image, mask: given } } : {}),
  };
}

/** Visual anagrams (Geng et al. 2024): one noise estimate averaged over the upright prompt and the transformed view's, each view with its own prompt's prior. */
async function anagramTechnique(run: TechniqueRun): Promise<TechniqueResult> {
  const { spec } = run;
  const a = await run.encode('prompt', spec.prompt);
  const b = await run.encode('prompt2', spec.prompt2 ?? '');
  const g = await run.guidanceFor([spec.prompt, spec.prompt2 ?? '']);
  const opts = {
    ...run.base(),
    ...g,
    upright: a.cond,
    transformed: b.cond,
    view: spec.view ?? 'flip',
    uprightPrior: priorFor(run, a.understood, g),
    transformedPrior: priorFor(run, b.understood, g),
  };
  const finalSample = await anagram(opts);
  // Shown as both readings side by side: the picture upright and under the view, each with its prompt.
  const viewed = getView(opts.view).apply(finalSample, run.shape);
  const panels = {
    images: [await run.toRgb(finalSample), await run.toRgb(viewed)],
    labels: [`upright: ${spec.prompt}`, `${opts.view}: ${spec.prompt2 ?? ''}`],
  };
  return { finalSample, loopSteps: spec.steps, panels };
}

/** Hybrid images (factorized diffusion): lowpass of the far prompt's estimate plus highpass of the near prompt's, each with its own prompt's prior. */
async function hybridTechnique(run: TechniqueRun): Promise<TechniqueResult> {
  const { spec } = run;
  const far = await run.encode('prompt', spec.prompt);
  const near = await run.encode('prompt2', spec.prompt2 ?? '');
  const g = await run.guidanceFor([spec.prompt, spec.prompt2 ?? '']);
  const f = hybridFilterFor(run.shape.width, spec.hybrid?.kernel ?? 33, spec.hybrid?.sigma ?? 2);
  const opts = {
    ...run.base(),
    ...g,
    far: far.cond,
    near: near.cond,
    kernelSize: f.size,
    sigma: f.sigma,
    farPrior: priorFor(run, far.understood, g),
    nearPrior: priorFor(run, near.understood, g),
  };
  return { finalSample: await hybrid(opts), loopSteps: spec.steps };
}

function checkTimesteps(ts: readonly number[], schedule: Schedule): void {
  for (const t of ts) {
    if (!Number.isInteger(t) || t < 1 || t >= schedule.numTrainTimesteps) {
      throw new ExecuteError(
        `t must be between 1 and ${schedule.numTrainTimesteps - 1} for this model (got ${t}).`,
      );
    }
  }
}

/** The forward process x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps at each of the spec's timesteps, as a strip. */
async function noiseTechnique(run: TechniqueRun): Promise<TechniqueResult> {
  const { spec, img } = run;
  const { image } = await run.input();
  const ts = spec.t ?? [250, 500, 750];
  checkTimesteps(ts, run.schedule);
  const noisy = noise({
    image: await run.model.toSample(image),
    timesteps: ts,
    schedule: run.schedule,
    rng: run.rng,
  });
  const shown = [tensorToRgb(image, img.width, img.height)];
  for (const x of noisy) shown.push(await run.toRgb(x));
  run.frames.push(...shown);
  const labels = ['input', ...ts.map((t) => `t = ${t}`)];
  return { finalSample: noisy[noisy.length - 1], loopSteps: 0, picture: makeStrip(shown), panels: { images: shown, labels } };
}

/** The input noised to t, then denoised by Gaussian blur, one step, iteratively, or all three (each from the same noisy image), as a strip. */
async function denoiseTechnique(run: TechniqueRun): Promise<TechniqueResult> {
  const { spec, img, schedule } = run;
  const { image } = await run.input();
  const t = spec.t?.[0] ?? 500;
  checkTimesteps([t], schedule);
  const method = spec.method ?? 'all';
  const methods = method === 'all' ? (['blur', 'one-step', 'iterative'] as const) : ([method] as const);
  const needsModel = methods.some((m) => m !== 'blur');
  const c = needsModel ? await run.encode('prompt', spec.prompt) : undefined;
  const g = needsModel ? await run.guidanceFor([spec.prompt]) : {};
  const sampleImage = await run.model.toSample(image);
  const iterSteps = planBelow(run.sampler.plan(spec.steps, schedule), schedule, t).steps.length;
  run.progress.total = methods.reduce(
    (n, m) => n + (m === 'iterative' ? iterSteps : m === 'one-step' ? 1 : 0),
    0,
  );
  const shown: RgbImage[] = [tensorToRgb(image, img.width, img.height)];
  let finalSample: Float32Array | undefined;
  for (const m of methods) {
    // Each method starts from the same seed, so all of them denoise the same noisy image.
    const opts = {
      ...run.base(),
      ...g,
      rng: createRng(spec.seed),
      image: sampleImage,
      t,
      method: m,
      cond: c?.cond,
    };
    const r = await denoise(opts);
    if (shown.length === 1) shown.push(await run.toRgb(r.noisy));
    if (m === 'one-step') {
      run.progress.offset += 1;
      await run.hooks.onProgress?.({ step: run.progress.offset, total: run.progress.total, t });
    } else if (m === 'iterative') {
      run.progress.offset += iterSteps;
    }
    shown.push(await run.toRgb(r.denoised));
    finalSample = r.denoised;
  }
  if (!methods.includes('iterative')) run.frames.push(...shown);
  const loopSteps = methods.includes('iterative') ? iterSteps : 0;
  const labels = ['input', `noisy t = ${t}`, ...methods];
  return { finalSample: finalSample as Float32Array, loopSteps, picture: makeStrip(shown), panels: { images: shown, labels } };
}

/** The executor's table: one function per technique. */
export const TECHNIQUE_RUNS: Record<Technique, (run: TechniqueRun) => Promise<TechniqueResult>> = {
  imagine,
  sketch,
  inpaint: inpaintTechnique,
  anagram: anagramTechnique,
  hybrid: hybridTechnique,
  noise: noiseTechnique,
  denoise: denoiseTechnique,
};
