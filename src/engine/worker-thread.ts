// The inference worker thread: owns the loaded models (one session per model per device, loaded
// once), runs executeJob for one job at a time, writes the result files, and streams progress and
// PNG previews back. session.run and PNG encoding block this thread, never the main one.
// worker-entry.ts starts it; the test suite's thread entry starts it with fault hooks.
import { readFile } from 'node:fs/promises';
import { setPriority } from 'node:os';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import {
  decodeImage,
  encodePng,
  imageForModel,
  isImageInputError,
  lowerImagingThreads,
  maskForModel,
  upscaleForDisplay,
} from '../imaging/index.ts';
import { loadModel, runtimeOptionsFrom, ModelError, type LoadedModel } from '../runtime/index.ts';
import { ExecuteError, executeJob, type ExecuteContext } from './execute.ts';
import { modelInfoFrom } from './model-info.ts';
import { nativeCall } from './native-guard.ts';
import { uploadFile } from './paths.ts';
import { writeResultFiles } from './result-files.ts';
import type { JobSpec } from './spec.ts';
import type { FromWorker, RunOptions, RunOutput, ToWorker, WorkerSettings } from './worker-protocol.ts';

/** The inference thread's nice value (0 normal, 19 lowest). */
const INFERENCE_NICE = 10;

if (!parentPort) throw new Error('worker-thread.ts must run in a worker thread');
const port = parentPort;
const settings = workerData as WorkerSettings;
const cancelWord = new Int32Array(settings.cancel);
const post = (m: FromWorker): void => port.postMessage(m);

// Inference runs below the main thread's priority, so that chat events and HTTP requests are not
// kept waiting for a core; the threads onnxruntime starts from here inherit it, and the image
// encoders this thread uses are moved down after each use (lowerImagingThreads). An idle main
// thread leaves the cores to inference.
try {
  setPriority(INFERENCE_NICE); // this thread only, on Linux
} catch {
  // not permitted here: run at the normal priority
}

/** Hooks of a thread entry other than the production one (the test suite's crashes and stalls). */
export interface ThreadHooks {
  /** Called at each reported step of a job, before the progress is sent. */
  onStep?(jobId: string, spec: JobSpec, step: number): void;
}
let hooks: ThreadHooks = {};

/** Runs a call into onnxruntime counted as a native call: the main thread never terminates this thread mid-call. */
const native = <T>(call: () => Promise<T>): Promise<T> => nativeCall(cancelWord, call);

/** A loaded model whose calls into onnxruntime are counted as native calls (native-guard.ts). */
function guarded(m: LoadedModel): LoadedModel {
  return {
    ...m,
    denoiser: (t, batch, signal) => native(() => m.denoiser(t, batch, signal)),
    encodePrompt: (text) => native(() => m.encodePrompt(text)),
    toSample: (image) => native(() => m.toSample(image)),
    fromSample: (sample) => native(() => m.fromSample(sample)),
    dispose: () => native(() => m.dispose()),
  };
}

/** Loaded models by name; at most two stay loaded (the default one and the last other one). */
const models = new Map<string, Promise<LoadedModel>>();

function getModel(name: string): Promise<LoadedModel> {
  let m = models.get(name);
  if (!m) {
    m = native(() =>
      loadModel(name, { modelsDir: settings.modelsDir, ...runtimeOptionsFrom(settings) }),
    ).then(guarded);
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
  const poll = (): void => {
    if (!controller.signal.aborted && Atomics.load(cancelWord, 0) === runId)
      controller.abort(new DOMException('cancelled', 'AbortError'));
  };
  try {
    const loaded = await getModel(spec.model ?? settings.defaultModel);
    poll();
    controller.signal.throwIfAborted();
    post({ type: 'started', runId });
    const model: LoadedModel = {
      ...loaded,
      denoiser: (t, batch, signal) => {
        poll();
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
      ...(settings.maxSteps !== undefined ? { limits: { maxSteps: settings.maxSteps } } : {}),
    };
    let lastPreview = 0;
    let previewBusy = false;
    const result = await executeJob(spec, ctx, {
      signal: controller.signal,
      frameEvery: o.frameEvery,
      frameSource: o.frameSource,
      onProgress: (p) => {
        hooks.onStep?.(jobId, spec, p.step);
        poll();
        post({ type: 'progress', runId, step: p.step, total: p.total });
      },
      onFrame: (frame, p) => {
        const now = performance.now();
        if (now - lastPreview < o.previewEveryMs && p.step < p.total) return;
        if (previewBusy) return; // the previous preview is still being encoded: skip this one
        lastPreview = now;
        previewBusy = true;
        const { step, total } = p;
        const up = upscaleForDisplay(frame.rgb, frame.width, frame.height, Math.min(256, o.displaySize));
        encodePng(up.rgb, up.width, up.height)
          .then((png) => {
            lowerImagingThreads(INFERENCE_NICE);
            post({ type: 'preview', runId, step, total, png });
          })
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
    lowerImagingThreads(INFERENCE_NICE);
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

/** Serves the engine's requests on this thread (once); `threadHooks` only from a test entry. */
export function serveInference(threadHooks: ThreadHooks = {}): void {
  hooks = threadHooks;
  port.on('message', onMessage);
  preload();
}

function onMessage(m: ToWorker): void {
  if (m.type === 'run') {
    chain = chain.then(() => run(m.runId, m.jobId, m.spec, m.options));
  } else if (m.type === 'info') {
    // A loaded model answers at once; loading one waits for the running job (a load may evict the model it uses).
    if (models.has(m.model ?? settings.defaultModel)) void answerInfo(m.requestId, m.model);
    else chain = chain.then(() => answerInfo(m.requestId, m.model));
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
