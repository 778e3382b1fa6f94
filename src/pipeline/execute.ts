// Runs in the inference process and the CLI.
// The technique executor shared by the CLI and the inference process: a job spec in, an image,
// trajectory frames and timings out. It resolves the spec, sets up the run (technique-run.ts) and
// calls the technique's function from the table (techniques.ts), where prompts and images meet the
// pure recipes of src/diffusion.
import { tensorToRgb } from '../imaging/index.ts';
import { countOf, resolveJobSpec, type JobSpec } from '../jobs/spec.ts';
import { executeCandidates } from './candidates.ts';
import { ExecuteError } from './execute-error.ts';
import type { ExecuteContext, ExecuteHooks, ExecuteResult } from './execute-types.ts';
import { pasteKnown } from './masks.ts';
import { createRun } from './technique-run.ts';
import { TECHNIQUE_RUNS } from './techniques.ts';

export type {
  ExecuteContext,
  ExecuteHooks,
  ExecuteResult,
  ExecuteTimings,
  InputImage,
  StepProgress,
} from './execute-types.ts';
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

/** One candidate: the technique's function (techniques.ts) on the spec's seed, then the final image and the run's figures. */
async function executeOne(given: JobSpec, ctx: ExecuteContext, hooks: ExecuteHooks): Promise<ExecuteResult> {
  const t0 = performance.now();
  const model0 = ctx.model.modelTimeMs();
  const { model } = ctx;
  const resolved = resolveJobSpec(given, model.manifest.defaults, ctx.limits);
  if (!resolved.ok) throw new ExecuteError(resolved.message);
  const spec = resolved.spec;
  let unetCalls = 0;
  let unetEvaluations = 0;
  // A UNet that takes guidance as an input (LCM's embedding) gets the job's scale there, not through CFG.
  const unet = model.guidanceEmbedding ? model.guidanceEmbedding.denoiser(spec.guidance) : model.denoiser;
  const denoiser: typeof model.denoiser = (t, batch, signal) => {
    unetCalls++;
    unetEvaluations += batch.length;
    return unet(t, batch, signal);
  };
  const stepTimes: number[] = [];
  const run = createRun(spec, ctx, hooks, denoiser, stepTimes);
  const techniqueRun = TECHNIQUE_RUNS[spec.technique];
  if (!techniqueRun) throw new ExecuteError(`unknown technique ${String(spec.technique)}`);
  const { finalSample, loopSteps, picture, restoreKnown, panels } = await techniqueRun(run);
  const finalImage = await model.fromSample(finalSample);
  if (restoreKnown) pasteKnown(finalImage, restoreKnown.image, restoreKnown.mask, run.img.channels);
  const image = picture ?? tensorToRgb(finalImage, run.out.width, run.out.height);
  const { prompts } = run;
  return {
    finalImage,
    image,
    ...(panels ? { panels } : {}),
    frames: run.frames,
    timings: {
      totalMs: performance.now() - t0,
      modelMs: model.modelTimeMs() - model0,
      perStepMs: stepTimes.length ? stepTimes.reduce((a, b) => a + b, 0) / stepTimes.length : 0,
      steps: loopSteps,
      unetCalls,
      unetEvaluations,
      ...(model.previewDecoder ? { frameDecoder: model.previewDecoder } : {}),
    },
    prompts,
    understood: prompts.filter((p) => p.role !== 'negative').flatMap((p) => p.understood),
    unknown: [...new Set(prompts.flatMap((p) => p.unknown))],
    seed: spec.seed,
    spec,
  };
}
