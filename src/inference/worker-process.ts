// Runs in the inference process.
// The inference worker process: owns the loaded models (one session per model per device, loaded
// once), runs executeJob for one job at a time, writes the result files, and streams progress and
// PNG previews back. session.run and image encoding block this process, never the bot's.
// worker-boot.mjs starts it at a lower priority; worker-entry.ts serves the engine, the test
// suite's entry serves it with fault hooks.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  decodeImage,
  encodePng,
  imageForModel,
  isImageInputError,
  maskForModel,
  upscaleForDisplay,
} from '../imaging/index.ts';
import { listModels, loadModel, runtimeOptionsFrom, ModelError, type LoadedModel } from '../runtime/index.ts';
import { ExecuteError, executeJob, type ExecuteContext } from '../pipeline/execute.ts';
import { modelInfoFrom } from '../pipeline/model-info.ts';
import { rawResultFile, uploadFile } from '../jobs/paths.ts';
import { writeResultFiles } from '../pipeline/result-files.ts';
import type { JobSpec } from '../jobs/spec.ts';
import type { RunOptions, RunOutput, ToWorker } from './worker-protocol.ts';
import { hostSettings, onEngineMessage, postToEngine as post } from './worker-host.ts';
import { answerConcepts } from './concept-answers.ts';
import { answerUnderstand } from './understand-answers.ts';

const settings = hostSettings();

/** Hooks of a worker entry other than the production one (the test suite's crashes and stalls). */
export interface WorkerHooks {
  /** Called at each reported step of a job, before the progress is sent. */
  onStep?(jobId: string, spec: JobSpec, step: number): void;
}
let hooks: WorkerHooks = {};

/** Loaded models by name; at most two stay loaded (the default one and the last other one). */
const models = new Map<string, Promise<LoadedModel>>();

function getModel(name: string): Promise<LoadedModel> {
  let m = models.get(name);
  if (!m) {
    m = loadModel(name, { modelsDir: settings.modelsDir, ...runtimeOptionsFrom(settings) });
    m.catch(() => models.delete(name));
    for (const [other, p] of models) {
      if (other !== settings.defaultModel && other !== name) {
        models.delete(other);
        void p.then((x) => x.dispose()).catch(() => undefined);
      }
    }
    models.set(name, m);
  }
  return m;
}

/** Decodes a stored upload (the upload limits apply again here, in the worker). */
async function readUpload(ref: string) {
  return decodeImage(await readFile(uploadFile(settings.dataDir, ref)), settings.uploadLimits);
}

let current: { runId: number; controller: AbortController } | null = null;

async function run(runId: number, jobId: string, spec: JobSpec, o: RunOptions): Promise<void> {
  const controller = new AbortController();
  current = { runId, controller };
  try {
    const loaded = await getModel(spec.model ?? settings.defaultModel);
    controller.signal.throwIfAborted();
    post({ type: 'started', runId });
    const model: LoadedModel = {
      ...loaded,
      denoiser: (t, batch, signal) => {
        controller.signal.throwIfAborted();
        return loaded.denoiser(t, batch, signal);
      },
    };
    const ctx: ExecuteContext = {
      model,
      loadImage: async (ref) =>
        imageForModel(await readUpload(ref), model.imageShape.width, model.imageShape.height),
      loadMask: async (ref) =>
        maskForModel(await readUpload(ref), model.imageShape.width, model.imageShape.height),
      // A follow-up's parent: its raw result, decoded once by the executor (pipeline/parent-input.ts).
      readResult: (parent) => readFile(rawResultFile(settings.dataDir, parent)),
      ...(settings.maxSteps !== undefined ? { limits: { maxSteps: settings.maxSteps } } : {}),
    };
    let lastPreview = 0;
    let previewBusy = false;
    const result = await executeJob(spec, ctx, {
      signal: controller.signal,
      frameEvery: o.frameEvery,
      frameSource: o.frameSource,
      previewSource: o.previewSource,
      onProgress: (p) => {
        hooks.onStep?.(jobId, spec, p.step);
        post({ type: 'progress', runId, step: p.step, total: p.total });
      },
      // A preview at most every previewEveryMs (and the last step's), never while the previous one is still encoding.
      // The step waits for its PNG (milliseconds): a UNet call blocks this process's event loop, so a
      // preview left to finish during the next step would be posted only after it (a step late).
      wantsPreview: (p) => !previewBusy && (p.step === p.total || performance.now() - lastPreview >= o.previewEveryMs),
      onPreview: (frame, p) => {
        lastPreview = performance.now();
        previewBusy = true;
        const { step, total } = p;
        const up = upscaleForDisplay(frame.rgb, frame.width, frame.height, Math.min(256, o.displaySize));
        return encodePng(up.rgb, up.width, up.height)
          .then((png) => post({ type: 'preview', runId, step, total, png }))
          .catch(() => undefined) // a preview that fails to encode is skipped; the job goes on
          .finally(() => (previewBusy = false));
      },
    });
    controller.signal.throwIfAborted();

    const written = await writeResultFiles(
      result,
      {
        png: path.join(o.resultDir, 'image.png'),
        rawPng: path.join(o.resultDir, 'raw.png'),
        gif: path.join(o.resultDir, 'trajectory.gif'),
      },
      { displaySize: o.displaySize, gifSize: o.gifSize, gifMaxBytes: o.gifMaxBytes },
    );
    const { rawPng, ...files } = written;
    const output: RunOutput = {
      model: loaded.name,
      device: loaded.device ?? settings.device,
      files: { ...files, rawPng: rawPng ?? files.png },
      timings: result.timings,
      spec: result.spec,
      prompts: result.prompts,
      understood: result.understood,
      unknown: result.unknown,
    };
    post({ type: 'done', runId, output });
  } catch (err) {
    const userError =
      err instanceof ExecuteError ||
      isImageInputError(err) ||
      (err instanceof ModelError && (err.code === 'unknown-model' || err.code === 'bad-request')) ||
      err instanceof RangeError;
    const message = err instanceof Error ? err.message : String(err);
    post({ type: 'failed', runId, message, userError });
  } finally {
    current = null;
  }
}

/** The facts of a loaded model, device included (defaults capped at the engine's MAX_STEPS). */
function infoOf(m: LoadedModel) {
  return modelInfoFrom(
    { ...m, device: m.device ?? settings.device },
    settings.maxSteps !== undefined ? { maxSteps: settings.maxSteps } : undefined,
  );
}

/** Answers an 'info' request from the loaded model, loading it if needed. */
async function answerInfo(requestId: number, name: string | undefined): Promise<void> {
  try {
    post({ type: 'info', requestId, info: infoOf(await getModel(name ?? settings.defaultModel)) });
  } catch (err) {
    const userError = err instanceof ModelError && err.code === 'unknown-model';
    post({ type: 'info', requestId, error: err instanceof Error ? err.message : String(err), userError });
  }
}

let chain: Promise<void> = Promise.resolve();

/** Serves the engine's requests in this process (once); `workerHooks` only from a test entry. */
export function serveInference(workerHooks: WorkerHooks = {}): void {
  hooks = workerHooks;
  onEngineMessage(onMessage);
  preload();
}

function onMessage(m: ToWorker): void {
  if (m.type === 'run') {
    chain = chain.then(() => run(m.runId, m.jobId, m.spec, m.options));
  } else if (m.type === 'info') {
    // A loaded model answers at once; loading one waits for the running job (a load may evict the model it uses).
    if (models.has(m.model ?? settings.defaultModel)) void answerInfo(m.requestId, m.model);
    else chain = chain.then(() => answerInfo(m.requestId, m.model));
  } else if (m.type === 'models') {
    const names = listModels(settings.modelsDir)
      .filter((x) => !x.error)
      .map((x) => x.name);
    post({ type: 'models', requestId: m.requestId, names });
  } else if (m.type === 'concepts') {
    answerConcepts(m, settings);
  } else if (m.type === 'understand') {
    answerUnderstand(m, settings);
  } else if (m.type === 'cancel') {
    if (current?.runId === m.runId) current.controller.abort(new DOMException('cancelled', 'AbortError'));
  } else if (m.type === 'shutdown') {
    current?.controller.abort(new DOMException('shutting down', 'AbortError'));
    void chain.then(async () => {
      for (const p of models.values()) await p.then((x) => x.dispose()).catch(() => undefined);
      process.exit(0);
    });
  }
}

function preload(): void {
  if (!settings.preload) {
    post({ type: 'ready', model: null, device: null });
    return;
  }
  getModel(settings.defaultModel).then(
    (m) => post({ type: 'ready', model: m.name, device: m.device ?? settings.device, info: infoOf(m) }),
    (err: unknown) =>
      post({
        type: 'ready',
        model: null,
        device: null,
        error: err instanceof Error ? err.message : String(err),
      }),
  );
}
