// The work of the CLI's subcommands: `models`, and one technique run through the shared
// executor (engine/execute.ts) with images from files and results written to files. Loaded
// lazily by cli.ts, so usage errors answer without loading sharp, zod or onnxruntime.
import { loadConfig } from '../../config.ts';
import { executeJob, type ExecuteContext } from '../../pipeline/execute.ts';
import type { ModelInfo } from '../../jobs/api.ts';
import { effectiveDefaults } from '../../pipeline/model-info.ts';
import {
  DEFAULT_SPEC_LIMITS,
  parseJobSpec,
  resolveJobSpec,
  usesGuidance,
  type ResolvedJobSpec,
} from '../../jobs/spec.ts';
import {
  listModels,
  loadModel,
  runtimeOptionsFrom,
  readManifest,
  type LoadedModel,
  deviceText,
  plannedDevice,
} from '../../runtime/index.ts';
import { specMessageForCli, type CliRequest } from './args.ts';
import { EXIT, UsageError } from './errors.ts';
import { ImageStore } from './images.ts';
import { looksLikePath, modelsDirOf, resolveModel } from './models.ts';
import type { CliIo } from './io.ts';
import { defaultOutputPath, jsonReport, seedsText, understoodLine, writeOutputs } from './output.ts';
import { checkOutputs } from './output-check.ts';
import { createProgressBar } from './progress.ts';

/** `diffuse models`: the installed models, the selected one marked with *. */
export function runModels(req: Extract<CliRequest, { kind: 'models' }>, io: CliIo): number {
  const config = loadConfig(io.env);
  const modelsDir = modelsDirOf(config, io.env);
  const selected = req.model ?? config.model;
  const models = listModels(modelsDir).map((m) => ({ ...m, defaults: defaultsOf(m, config.maxSteps) }));
  const device = plannedDevice(runtimeOptionsFrom({ ...config, device: req.device ?? config.device }));
  if (req.json) {
    io.stdout.write(
      JSON.stringify({
        modelsDir,
        selected,
        device,
        models: models.map((m) => ({ ...m, selected: m.name === selected })),
      }) + '\n',
    );
    return EXIT.ok;
  }
  if (models.length === 0) {
    io.stdout.write(`no models installed in ${modelsDir}\n`);
    return EXIT.ok;
  }
  const nameWidth = Math.max(...models.map((m) => m.name.length));
  for (const m of models) {
    const mark = m.name === selected ? '*' : ' ';
    const shape = m.sample ? `${m.sample.width}x${m.sample.height}x${m.sample.channels}` : '-';
    const what = m.error
      ? `invalid: ${m.error.split('\n')[0]}`
      : `${m.family ?? ''}  ${m.defaults ? defaultsText(m.defaults) + '  ' : ''}${m.description ?? ''}`.trim();
    io.stdout.write(`${mark} ${m.name.padEnd(nameWidth)}  ${shape.padEnd(9)}  ${what}\n`);
  }
  io.stdout.write(`device: ${deviceText(device)}\n`);
  if (!models.some((m) => m.name === selected) && !looksLikePath(selected)) {
    io.stderr.write(
      `note: the selected model '${selected}' is not installed; pass --model NAME or set MODEL\n`,
    );
  }
  return EXIT.ok;
}

/** The defaults a job without steps, cfg or noise level gets on a listed model (the jobs' own resolver), or undefined when its manifest is invalid. */
function defaultsOf(m: { dir: string; error?: string }, maxSteps: number): ModelInfo['defaults'] | undefined {
  if (m.error) return undefined;
  try {
    return effectiveDefaults(readManifest(m.dir), { maxSteps });
  } catch {
    return undefined;
  }
}

/** "33 steps, cfg 3" / "4 steps, no cfg". */
function defaultsText(d: ModelInfo['defaults']): string {
  return `${d.steps} steps, ${usesGuidance(d.guidance) ? `cfg ${d.guidance}` : 'no cfg'}`;
}

/** One technique: resolve the model, read the inputs, validate the spec, load the model, execute, write the outputs. */
export async function runTechnique(
  req: Extract<CliRequest, { kind: 'run' }>,
  io: CliIo,
  started: number,
): Promise<number> {
  const config = loadConfig(io.env);
  const modelsDir = modelsDirOf(config, io.env);
  const modelDir = resolveModel(req.model ?? config.model, modelsDir);
  const manifest = readManifest(modelDir);

  const images = new ImageStore();
  const input: Record<string, unknown> = { ...req.input };
  // With --follow-up the image is an earlier result: the executor cuts the candidate out of it.
  if (req.imagePath !== undefined && input.source && typeof input.source === 'object')
    input.source = { ...input.source, parent: await images.addResult(req.imagePath) };
  else if (req.imagePath !== undefined) input.image = await images.add(req.imagePath, 'image');
  if (req.maskPath !== undefined) input.mask = await images.add(req.maskPath, 'mask');
  if (req.technique === 'inpaint' && input.mask === undefined && typeof input.image === 'string' && !images.hasTransparency(input.image))
    throw new UsageError(
      'Inpainting needs a mask: attach a mask image (white = repaint) or an image with transparent areas to repaint',
    );
  const limits = {
    ...DEFAULT_SPEC_LIMITS,
    maxSteps: config.maxSteps,
    maxTimestep: manifest.scheduler.num_train_timesteps - 1,
  };
  const parsed = parseJobSpec(input, limits);
  if (!parsed.ok) throw new UsageError(specMessageForCli(parsed.message));
  // The model's defaults, by the resolver the bot's worker uses (executeJob applies it again, idempotently);
  // resolved here from the manifest only so that a bad combination fails before the model loads.
  const resolved = resolveJobSpec(parsed.spec, manifest.defaults, limits);
  if (!resolved.ok) throw new UsageError(specMessageForCli(resolved.message));
  const spec: ResolvedJobSpec = resolved.spec;
  // An output that cannot be written fails now, not after the whole run.
  await checkOutputs({ png: req.output ?? defaultOutputPath(spec), pngGiven: req.output !== undefined, gif: req.gif });

  const loadStart = performance.now();
  const model: LoadedModel = await loadModel(modelDir, {
    modelsDir,
    ...runtimeOptionsFrom({ ...config, device: req.device ?? config.device }),
  });
  const loadMs = performance.now() - loadStart;
  try {
    if (model.fallbackReason && !req.json)
      io.stderr.write(`note: running on the CPU: ${model.fallbackReason.split('\n')[0]}\n`);
    const ctx: ExecuteContext = {
      model,
      limits,
      loadImage: (ref) => images.loadImage(ref, model.imageShape),
      loadMask: (ref) => images.loadMask(ref, model.imageShape),
      readResult: (ref) => images.readResult(ref),
    };
    const bar = createProgressBar(io.stderr, spec.technique);
    let result;
    try {
      result = await executeJob(spec, ctx, {
        signal: io.signal,
        frameSource: config.frameSource,
        frameEvery: req.gif !== undefined ? config.frameEvery : Number.MAX_SAFE_INTEGER,
        onProgress: (p) => bar.update(p.step, p.total),
      });
    } finally {
      bar.done();
    }

    const writeStart = performance.now();
    const written = await writeOutputs(
      result,
      { png: req.output ?? defaultOutputPath(spec), gif: req.gif },
      { displaySize: config.displaySize, gifSize: config.gifSize },
    );
    const writeMs = performance.now() - writeStart;

    if (req.json) {
      const report = jsonReport(result.spec, result, model, written, {
        loadMs,
        writeMs,
        wallMs: performance.now() - started,
      });
      io.stdout.write(JSON.stringify(report) + '\n');
    } else {
      const line = understoodLine(result.understood, result.unknown, result.prompts.length > 0);
      if (line) io.stderr.write(line + '\n');
      const t = result.timings;
      const sampler = spec.sampler && spec.sampler !== 'ddpm' ? ` (${spec.sampler})` : '';
      const steps = t.steps > 0 ? `, ${t.steps} steps${sampler} at ${t.perStepMs.toFixed(1)} ms` : '';
      io.stderr.write(
        `${spec.technique}: ${seedsText(result.spec)}${steps}${result.spec.upscale ? `, upscaled to ${result.image.width}x${result.image.height}` : ''}, ${(t.totalMs / 1000).toFixed(2)} s (session.run ${(t.modelMs / 1000).toFixed(2)} s) on ${model.name}\n`,
      );
      if (req.gif !== undefined && !written.gif)
        io.stderr.write('note: this run has no trajectory frames; no GIF written\n');
      io.stdout.write(written.png + '\n');
      if (written.gif) io.stdout.write(written.gif + '\n');
    }
    return EXIT.ok;
  } finally {
    await model.dispose();
  }
}
