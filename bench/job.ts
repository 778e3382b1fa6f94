// `npm run bench -- job --model NAME|DIR [--device D] [--steps N] [--warmup N]`: one whole job, as a chat command runs it.
// 1. Through the engine, exactly as a chat command submits it (its inference process, previews as
//    PROGRESS_INTERVAL_MS throttles them, the GIF, PNG encoding, the result files and the job record):
//    submit -> started, submit -> first preview, submit -> done, and the worker's own figures.
// 2. The same job in this process with the worker's hooks, each part timed: prompt encoding, UNet
//    (session.run), scheduler and host (the rest of each step), previews and GIF frames (cheap decode
//    plus the preview PNG), the final VAE decode, GIF and PNG encoding with their writes.
// 3. The bare sampling loop of the same spec (no frames, no previews, no files), for the cost of the
//    rest: whole job against bare loop, same run. Parts 2 and 3 follow an uncounted --warmup N step
//    job (default 1; 0 skips it, for models whose steps take minutes).
// Threads and device come from the environment as for the bot; --device overrides DEVICE. Figures only.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { modelsDirOf, resolveModel } from '../src/adapters/cli/models.ts';
import { loadConfig } from '../src/config.ts';
import { createEngine } from '../src/engine/engine.ts';
import { encodePng, upscaleForDisplay } from '../src/imaging/index.ts';
import { waitForJob } from '../src/jobs/api.ts';
import { parseJobSpec, type JobSpec } from '../src/jobs/spec.ts';
import { executeJob, type ExecuteContext } from '../src/pipeline/execute.ts';
import { writeResultFiles } from '../src/pipeline/result-files.ts';
import { deviceText, loadModel, runtimeOptionsFrom, type LoadedModel } from '../src/runtime/index.ts';

const DEVICES = ['cpu', 'cuda', 'webgpu', 'auto'] as const;
type Device = (typeof DEVICES)[number];

const s = (ms: number): string => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);
const loadavg = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** Time spent inside calls of each kind, and how many. */
class Clock {
  readonly ms = new Map<string, number>();
  readonly calls = new Map<string, number>();
  async time<T>(what: string, f: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      return await f();
    } finally {
      this.ms.set(what, (this.ms.get(what) ?? 0) + performance.now() - t);
      this.calls.set(what, (this.calls.get(what) ?? 0) + 1);
    }
  }
  get(what: string): number {
    return this.ms.get(what) ?? 0;
  }
}

/** The model with prompt encoding, the UNet, the VAE decode and the cheap preview decode timed. */
function timed(model: LoadedModel, clock: Clock): LoadedModel {
  const preview = model.previewSample;
  return {
    ...model,
    encodePrompt: (t) => clock.time('prompt', () => model.encodePrompt(t)),
    denoiser: (t, batch, signal) => clock.time('unet', () => model.denoiser(t, batch, signal)),
    fromSample: (z) => clock.time('vae', () => model.fromSample(z)),
    ...(preview ? { previewSample: (z: Float32Array) => clock.time('cheap', () => preview(z)) } : {}),
  };
}

/** 1. The job through the engine (its own inference process). */
async function throughEngine(modelDir: string, device: Device, spec: JobSpec) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'diffuse-bench-job-'));
  const config = loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    MODEL: modelDir,
    DEVICE: device,
    LOG_LEVEL: 'warn',
    METRICS_PORT: '0',
  });
  const engine = createEngine(config, { defaultMetrics: false });
  try {
    const t0 = performance.now();
    await engine.start();
    // A running bot has its inference process up and the model loaded before the job comes: wait for both.
    // (a large model takes longer to load than one info request waits: asked again until it answers)
    for (let info = await engine.modelInfo(); !info.ok; info = await engine.modelInfo())
      if (performance.now() - t0 > 1_800_000) throw new Error(`model info: ${info.message}`);
    const ready = performance.now() - t0;
    const submitted = performance.now();
    const r = await engine.submit(spec, { platform: 'bench', userId: 'bench' });
    if (!r.ok) throw new Error(`job refused: ${r.message}`);
    let started = NaN;
    let firstPreview = NaN;
    let step1 = NaN;
    let previews = 0;
    const off = engine.subscribe(r.jobId, (e) => {
      if (e.type === 'started') started = performance.now() - submitted;
      if (e.type === 'progress' && e.step === 1 && Number.isNaN(step1)) step1 = performance.now() - submitted;
      if (e.type === 'progress' && e.preview) {
        previews++;
        if (Number.isNaN(firstPreview)) firstPreview = performance.now() - submitted;
      }
    });
    const end = await waitForJob(engine, r.jobId);
    const done = performance.now() - submitted;
    off();
    if (end.type !== 'done') throw new Error(`job ${end.type}: ${'message' in end ? end.message : ''}`);
    return { ready, started, step1, firstPreview, previews, done, result: end.result, config };
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** 2. The same job in this process with the inference process's hooks, every part timed. */
async function phases(model: LoadedModel, spec: JobSpec, config: ReturnType<typeof loadConfig>) {
  const clock = new Clock();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'diffuse-bench-job-'));
  const ctx: ExecuteContext = {
    model: timed(model, clock),
    loadImage: () => Promise.reject(new Error('no image')),
    loadMask: () => Promise.reject(new Error('no mask')),
  };
  let lastPreview = 0;
  let previewBusy = false;
  const t0 = performance.now();
  let firstPreview = NaN;
  let step1 = NaN;
  try {
    const result = await executeJob(spec, ctx, {
      frameEvery: config.frameEvery,
      frameSource: config.frameSource,
      previewSource: config.previewSource,
      onProgress: (p) => {
        if (p.step === 1) step1 = performance.now() - t0;
      },
      wantsPreview: (p) =>
        !previewBusy && (p.step === p.total || performance.now() - lastPreview >= config.progressIntervalMs),
      // As the inference process does: the step waits for its preview's PNG (worker-process.ts).
      onPreview: async (frame) => {
        lastPreview = performance.now();
        previewBusy = true;
        const up = upscaleForDisplay(frame.rgb, frame.width, frame.height, Math.min(256, config.displaySize));
        try {
          await clock.time('previewPng', () => encodePng(up.rgb, up.width, up.height));
          if (Number.isNaN(firstPreview)) firstPreview = performance.now() - t0;
        } finally {
          previewBusy = false;
        }
      },
    });
    const files = await clock.time('files', () =>
      writeResultFiles(
        result,
        {
          png: path.join(dir, 'image.png'),
          rawPng: path.join(dir, 'raw.png'),
          gif: path.join(dir, 'trajectory.gif'),
        },
        { displaySize: config.displaySize, gifSize: config.gifSize, gifMaxBytes: config.gifMaxBytes },
      ),
    );
    return { totalMs: performance.now() - t0, step1, firstPreview, result, files, clock };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 3. The bare sampling loop: the same spec, no frames, previews or files. */
async function bareLoop(model: LoadedModel, spec: JobSpec) {
  const clock = new Clock();
  const ctx: ExecuteContext = {
    model: timed(model, clock),
    loadImage: () => Promise.reject(new Error('no image')),
    loadMask: () => Promise.reject(new Error('no mask')),
  };
  const t0 = performance.now();
  // frameEvery past the last step: only the last step's frame (the executor always keeps it).
  const r = await executeJob(spec, ctx, { frameEvery: 1e9 });
  return { totalMs: performance.now() - t0, clock, steps: r.timings.steps };
}

/** Runs the whole-job benchmark and prints its figures. */
export async function main(args: string[] = []): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string', default: 'tiny-sd' },
      device: { type: 'string' },
      steps: { type: 'string', default: '4' },
      prompt: { type: 'string', default: 'a red rocket' },
      warmup: { type: 'string', default: '1' },
    },
  });
  const base = loadConfig(process.env);
  const device = (values.device ?? base.device) as Device;
  if (!DEVICES.includes(device)) throw new Error(`--device must be ${DEVICES.join(', ')} (got '${device}')`);
  const modelDir = resolveModel(values.model, modelsDirOf(base, process.env));
  const parsed = parseJobSpec({
    technique: 'imagine',
    prompt: values.prompt,
    steps: Number(values.steps),
    seed: 7,
  });
  if (!parsed.ok) throw new Error(parsed.message);
  const spec = parsed.spec;
  const cpu = os.cpus();
  console.log(
    `job bench: ${cpu[0]?.model ?? 'cpu'} x${cpu.length}, node ${process.version}, model ${modelDir}, --device ${device}, ${spec.steps} steps, load average at start ${loadavg()}`,
  );

  const e = await throughEngine(modelDir, device, spec);
  const t = e.result.timings;
  console.log(
    `\n1. through the engine (its inference process; previews every ${e.config.progressIntervalMs} ms at most, a GIF frame every ${e.config.frameEvery} steps):`,
  );
  console.log(`  engine start (inference process up, model loaded): ${s(e.ready)}`);
  console.log(
    `  submit -> started ${s(e.started)}, -> first preview ${s(e.firstPreview)} (${s(e.firstPreview - e.started)} after the start; step 1 ended ${s(e.step1 - e.started)} after the start, a step ${s(t.perStepMs)} on average), -> done ${s(e.done)}; ${e.previews} previews`,
  );
  console.log(
    `  the worker's figures: ran ${s(t.totalMs)}, ${s(t.modelMs)} in session.run, ${s(t.perStepMs)} a step, ${t.unetCalls ?? '?'} UNet calls; GIF ${e.result.files.gifFrames} frames, ${e.result.files.gifBytes} bytes`,
  );
  console.log(
    `  after the worker's run (GIF and PNG encoded and written, messages, job record, events): ${s(e.done - e.started - t.totalMs)}`,
  );

  const model = await loadModel(modelDir, { ...runtimeOptionsFrom({ ...base, device }) });
  try {
    console.log(
      `\n2. the same job in this process, each part timed (${model.deviceInfo ? deviceText(model.deviceInfo) : device}; previews and frames: ${model.previewDecoder ?? 'the model itself (fromSample)'}):`,
    );
    const warm = Number(values.warmup);
    if (warm > 0) {
      // First session runs are slower (allocations, kernels chosen): a short job first, not counted.
      const w = parseJobSpec({ technique: 'imagine', prompt: 'warm up', steps: warm, seed: 1 });
      if (w.ok) await bareLoop(model, w.spec);
    }
    const p = await phases(model, spec, e.config);
    const c = p.clock;
    const steps = p.result.timings.steps;
    const stepSum = p.result.timings.perStepMs * steps;
    const previews = c.get('cheap') + c.get('previewPng');
    const host = stepSum - c.get('unet') - previews;
    const rows: [string, number, string][] = [
      ['prompt encoding', c.get('prompt'), `${c.calls.get('prompt') ?? 0} prompts`],
      [
        'UNet (session.run)',
        c.get('unet'),
        `${c.calls.get('unet') ?? 0} calls, ${s(c.get('unet') / Math.max(1, steps))} a step`,
      ],
      ['scheduler and host', host, 'rest of the steps'],
      [
        'previews and GIF frames',
        previews,
        `${c.calls.get('cheap') ?? 0} cheap decodes ${s(c.get('cheap'))}, ${c.calls.get('previewPng') ?? 0} preview PNGs ${s(c.get('previewPng'))}`,
      ],
      ['final decode (VAE)', c.get('vae'), `${c.calls.get('vae') ?? 0} decode`],
      ['GIF and PNG encode, written', c.get('files'), `GIF ${p.files.gifFrames} frames`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [name, ms, note] of rows)
      console.log(
        `  ${name.padEnd(w)}  ${s(ms).padStart(9)}  ${((100 * ms) / p.totalMs).toFixed(1).padStart(5)}%  ${note}`,
      );
    console.log(
      `  ${'whole job'.padEnd(w)}  ${s(p.totalMs).padStart(9)}; first preview ${s(p.firstPreview)} after the start (step 1 ended at ${s(p.step1)})`,
    );

    const b = await bareLoop(model, spec);
    console.log(
      `\n3. bare sampling loop, same spec: ${s(b.totalMs)} (${b.steps} steps; prompt ${s(b.clock.get('prompt'))}, UNet ${s(b.clock.get('unet'))}, final decode ${s(b.clock.get('vae'))})`,
    );
    const extra = p.totalMs - b.totalMs;
    console.log(
      `whole job against bare loop: +${s(extra)} (+${((100 * extra) / b.totalMs).toFixed(1)}%); previews + GIF frames + GIF/PNG encode: ${s(previews + c.get('files'))} = ${((100 * (previews + c.get('files'))) / p.totalMs).toFixed(2)}% of the job`,
    );
    console.log(`load average at end ${loadavg()}`);
  } finally {
    await model.dispose();
  }
}
