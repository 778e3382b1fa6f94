// The technique executor shared by the CLI and the inference worker: a job spec in, an image,
// trajectory frames and timings out. This is where prompts and stored images meet the pure
// recipes of src/diffusion; it stays thin (encode prompts, pick the recipe, collect frames).
import {
  anagram,
  createRng,
  denoise,
  createSampler,
  hybrid,
  hybridFilterFor,
  inpaint,
  makeSchedule,
  noise,
  sample,
  sdedit,
  tiledSdedit,
  planBelow,
  type Guidance,
  type RecipeBase,
  type Schedule,
  type SchedulerConfig,
  type StepInfo,
} from '../diffusion/index.ts';
import { makeStrip, tensorToRgb, type RgbImage } from '../imaging/index.ts';
import { conceptsForPrior } from '../runtime/coarse-prior.ts';
import type { EncodedPrompt } from '../runtime/types.ts';
import type { PromptReport } from '../jobs/api.ts';
import { pasteKnown, resizeMaskMax, resizeMaskNearest } from './masks.ts';
import { executeCandidates } from './candidates.ts';
import { upscaleInput } from './upscale.ts';
import { ExecuteError } from './execute-error.ts';
import { parentInput } from './parent-input.ts';
import { countOf, resolveJobSpec, usesGuidance, type JobSpec } from '../jobs/spec.ts';
import type { ExecuteContext, ExecuteHooks, ExecuteResult, InputImage, StepProgress } from './execute-types.ts';

export type { ExecuteContext, ExecuteHooks, ExecuteResult, ExecuteTimings, InputImage, StepProgress } from './execute-types.ts';
export { ExecuteError } from './execute-error.ts';

/** Turns a job spec into a diffusion run: resolves the model's defaults, encodes prompts (CFG uncond = negative or empty prompt), runs the technique's recipe, collects frames; several candidates run batched (executeCandidates). */
export async function executeJob(
  given: JobSpec,
  ctx: ExecuteContext,
  hooks: ExecuteHooks = {},
): Promise<ExecuteResult> {
  if (countOf(given) > 1) return executeCandidates(given, ctx, hooks, executeOne);
  return executeOne({ ...given, count: undefined }, ctx, hooks);
}

/** One candidate: the technique's recipe on the spec's seed. */
async function executeOne(given: JobSpec, ctx: ExecuteContext, hooks: ExecuteHooks): Promise<ExecuteResult> {
  const t0 = performance.now();
  const model0 = ctx.model.modelTimeMs();
  const { model } = ctx;
  const resolved = resolveJobSpec(given, model.manifest.defaults, ctx.limits);
  if (!resolved.ok) throw new ExecuteError(resolved.message);
  const spec = resolved.spec;
  let unetCalls = 0;
  let unetEvaluations = 0;
  const denoiser: typeof model.denoiser = (t, batch, signal) => {
    unetCalls++;
    unetEvaluations += batch.length;
    return model.denoiser(t, batch, signal);
  };
  const shape = model.sampleShape;
  const img = model.imageShape;
  const schedule: Schedule = makeSchedule(model.manifest.scheduler as SchedulerConfig);
  const latent = img.channels !== shape.channels || img.height !== shape.height || img.width !== shape.width;
  const rng = createRng(spec.seed);
  const frameEvery = Math.max(1, Math.floor(hooks.frameEvery ?? 1));
  const frameSource = hooks.frameSource ?? 'xt';
  const frames: RgbImage[] = [];
  const stepTimes: number[] = [];
  let lastStepAt = performance.now();
  let stepOffset = 0; // for techniques that run more than one loop (denoise 'all')
  let grandTotal = 0;

  const prompts: PromptReport[] = [];
  const encode = async (role: PromptReport['role'], text: string): Promise<EncodedPrompt> => {
    hooks.signal?.throwIfAborted();
    const e = await model.encodePrompt(text);
    if (text) prompts.push({ role, text, understood: e.understood, unknown: e.unknown });
    return e;
  };

  // The picture's size: the model's, or twice it for an upscaling sketch (upscaleInput).
  const out = { width: img.width, height: img.height };
  const toRgb = async (sampleX: Float32Array): Promise<RgbImage> =>
    tensorToRgb(await model.fromSample(sampleX), out.width, out.height);

  const onStep = async (info: StepInfo): Promise<void> => {
    const now = performance.now();
    stepTimes.push(now - lastStepAt);
    lastStepAt = now;
    const p: StepProgress = { step: stepOffset + info.index + 1, total: grandTotal || info.total, t: info.t };
    await hooks.onProgress?.(p);
    if ((info.index + 1) % frameEvery === 0 || info.index === info.total - 1) {
      const frame = await toRgb(frameSource === 'x0' ? info.x0 : info.x);
      frames.push(frame);
      await hooks.onFrame?.(frame, p);
    }
  };

  // The sampler owns its timestep selection (set_timesteps) for the model's scheduler config.
  const sampler = samplerFor(spec.sampler ?? 'ddpm', model.manifest.scheduler, spec.steps, schedule);
  const base = (): RecipeBase => ({
    shape,
    schedule,
    denoiser,
    rng,
    sampler,
    steps: spec.steps,
    prediction: model.manifest.scheduler.prediction_type,
    onStep,
    signal: hooks.signal,
  });

  /** CFG with the negative prompt (or the empty one) as uncond; plain conditional (one UNet evaluation per step) when guidance is 1 or less or nothing conditions. */
  const guidanceFor = async (condTexts: string[]): Promise<Guidance> => {
    const negative = spec.negative ?? '';
    if (!usesGuidance(spec.guidance) || (condTexts.every((c) => c === '') && negative === '')) return {};
    const u = await encode('negative', negative);
    return { uncond: u.cond, guidanceScale: spec.guidance };
  };

  const input = async (): Promise<InputImage> => {
    hooks.signal?.throwIfAborted();
    if (spec.source) return parentInput(spec.source, ctx, img);
    if (!spec.image) throw new ExecuteError(`${spec.technique} needs an image.`);
    return ctx.loadImage(spec.image);
  };

  let finalSample: Float32Array | undefined;
  let restoreKnown: { image: Float32Array; mask: Float32Array } | undefined;
  let picture: RgbImage | undefined;
  let loopSteps = 0;

  switch (spec.technique) {
    case 'imagine': {
      const c = await encode('prompt', spec.prompt);
      const g = await guidanceFor([spec.prompt]);
      loopSteps = spec.steps;
      // The coarse prior leaves out concepts of the negative prompt when guidance uses it (models/emoji/README.md).
      const negated = g.uncond ? (prompts.find((p) => p.role === 'negative')?.understood ?? []) : [];
      const prior = model.coarsePrior?.(conceptsForPrior(c.understood, negated));
      finalSample = await sample({ ...base(), ...g, cond: c.cond, prior });
      break;
    }
    case 'sketch': {
      const { image } = await input();
      const c = await encode('prompt', spec.prompt);
      const g = await guidanceFor([spec.prompt]);
      const iStart = spec.noiseLevel ?? 0;
      loopSteps = spec.steps - iStart;
      const up = spec.upscale && !latent ? await upscaleInput(image, img) : null;
      if (up) {
        Object.assign(out, { width: up.shape.width, height: up.shape.height });
        const stride = Math.max(1, Math.floor(shape.width / 2));
        finalSample = await tiledSdedit({ ...base(), ...g, shape: up.shape, tile: shape, stride, cond: c.cond, image: up.image, iStart });
        break;
      }
      finalSample = await sdedit({
        ...base(),
        ...g,
        cond: c.cond,
        image: await model.toSample(image),
        iStart,
      });
      break;
    }
    case 'inpaint': {
      const { image, alphaMask, border } = await input();
      let mask: Float32Array | undefined = spec.mask ? await ctx.loadMask(spec.mask) : (border ?? alphaMask);
      if (!mask) {
        throw new ExecuteError(
          'Inpainting needs a mask: attach a mask image (white = repaint) or an image with transparent areas to repaint.',
        );
      }
      if (!mask.some((m) => m > 0))
        throw new ExecuteError(
          'The mask is empty: nothing to repaint (white areas of the mask, or transparent areas of the image, are repainted).',
        );
      if (mask.every((m) => m > 0))
        throw new ExecuteError(
          'The mask covers the whole image: use /imagine instead, or leave some of the image unmasked.',
        );
      const pixelMask = mask;
      // A latent cell is regenerated when any pixel it covers is (max-pooling); the same size is the identity.
      mask = latent
        ? resizeMaskMax(mask, img.width, img.height, shape.width, shape.height)
        : resizeMaskNearest(mask, img.width, img.height, shape.width, shape.height);
      const c = await encode('prompt', spec.prompt);
      const g = await guidanceFor([spec.prompt]);
      loopSteps = spec.steps;
      finalSample = await inpaint({
        ...base(),
        ...g,
        cond: c.cond,
        image: await model.toSample(image),
        mask,
      });
      // The VAE cannot reproduce the known pixels exactly: restore them after decoding.
      if (latent) restoreKnown = { image, mask: pixelMask };
      break;
    }
    case 'anagram': {
      const a = await encode('prompt', spec.prompt);
      const b = await encode('prompt2', spec.prompt2 ?? '');
      const g = await guidanceFor([spec.prompt, spec.prompt2 ?? '']);
      loopSteps = spec.steps;
      finalSample = await anagram({
        ...base(),
        ...g,
        upright: a.cond,
        transformed: b.cond,
        view: spec.view ?? 'flip',
      });
      break;
    }
    case 'hybrid': {
      const far = await encode('prompt', spec.prompt);
      const near = await encode('prompt2', spec.prompt2 ?? '');
      const g = await guidanceFor([spec.prompt, spec.prompt2 ?? '']);
      const f = hybridFilterFor(shape.width, spec.hybrid?.kernel ?? 33, spec.hybrid?.sigma ?? 2);
      loopSteps = spec.steps;
      finalSample = await hybrid({
        ...base(),
        ...g,
        far: far.cond,
        near: near.cond,
        kernelSize: f.size,
        sigma: f.sigma,
      });
      break;
    }
    case 'noise': {
      const { image } = await input();
      const ts = spec.t ?? [250, 500, 750];
      checkTimesteps(ts, schedule);
      const noisy = noise({ image: await model.toSample(image), timesteps: ts, schedule, rng });
      const original = tensorToRgb(image, img.width, img.height);
      const shown = [original];
      for (const x of noisy) shown.push(await toRgb(x));
      frames.push(...shown);
      picture = makeStrip(shown);
      finalSample = noisy[noisy.length - 1];
      break;
    }
    case 'denoise': {
      const { image } = await input();
      const t = spec.t?.[0] ?? 500;
      checkTimesteps([t], schedule);
      const method = spec.method ?? 'all';
      const methods = method === 'all' ? (['blur', 'one-step', 'iterative'] as const) : ([method] as const);
      const needsModel = methods.some((m) => m !== 'blur');
      const c = needsModel ? await encode('prompt', spec.prompt) : undefined;
      const g = needsModel ? await guidanceFor([spec.prompt]) : {};
      const sampleImage = await model.toSample(image);
      const iterSteps = planBelow(sampler.plan(spec.steps, schedule), schedule, t).steps.length;
      grandTotal = methods.reduce(
        (n, m) => n + (m === 'iterative' ? iterSteps : m === 'one-step' ? 1 : 0),
        0,
      );
      loopSteps = methods.includes('iterative') ? iterSteps : 0;
      const shown: RgbImage[] = [tensorToRgb(image, img.width, img.height)];
      let noisyShown = false;
      for (const m of methods) {
        // Each method starts from the same seed, so all of them denoise the same noisy image.
        const r = await denoise({
          ...base(),
          ...g,
          rng: createRng(spec.seed),
          image: sampleImage,
          t,
          method: m,
          cond: c?.cond,
        });
        if (!noisyShown) {
          shown.push(await toRgb(r.noisy));
          noisyShown = true;
        }
        if (m === 'one-step') {
          stepOffset += 1;
          await hooks.onProgress?.({ step: stepOffset, total: grandTotal, t });
        } else if (m === 'iterative') {
          stepOffset += iterSteps;
        }
        shown.push(await toRgb(r.denoised));
        finalSample = r.denoised;
      }
      if (!methods.includes('iterative')) frames.push(...shown);
      picture = makeStrip(shown);
      break;
    }
  }

  if (!finalSample)
    throw new ExecuteError(`unknown technique ${String((spec as { technique: unknown }).technique)}`);
  const finalImage = await model.fromSample(finalSample);
  if (restoreKnown) pasteKnown(finalImage, restoreKnown.image, restoreKnown.mask, img.channels);
  const image = picture ?? tensorToRgb(finalImage, out.width, out.height);
  const totalMs = performance.now() - t0;
  const understood = prompts.filter((p) => p.role !== 'negative').flatMap((p) => p.understood);
  const unknown = [...new Set(prompts.flatMap((p) => p.unknown))];
  return {
    finalImage,
    image,
    frames,
    timings: {
      totalMs,
      modelMs: model.modelTimeMs() - model0,
      perStepMs: stepTimes.length ? stepTimes.reduce((a, b) => a + b, 0) / stepTimes.length : 0,
      steps: loopSteps,
      unetCalls,
      unetEvaluations,
    },
    prompts,
    understood,
    unknown,
    seed: spec.seed,
    spec,
  };
}


/** The sampler of a name for a model's scheduler config, checked to plan `steps`; a refused key or step count is a job failure naming it. */
function samplerFor(name: string, config: Record<string, unknown>, steps: number, schedule: Schedule): ReturnType<typeof createSampler> {
  try {
    const sampler = createSampler(name, config);
    sampler.plan(steps, schedule);
    return sampler;
  } catch (e) {
    if (e instanceof RangeError) throw new ExecuteError(`Sampler ${name} cannot run this model's scheduler: ${e.message}`);
    throw e;
  }
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
