// The per-image figures of `npm run bench -- pipeline --steps N`: seconds per denoising step
// (CFG as one batch-2 UNet call), per 50-step image with prompt encoding and VAE decode, and the
// share of a step spent outside session.run. Meant for SD-class models (bench/build-sd15.py) on
// any device; a few timed steps are extrapolated to 50.
import { writeFileSync } from 'node:fs';
import { executeJob, type ExecuteContext } from '../src/pipeline/execute.ts';
import { parseJobSpec } from '../src/jobs/spec.ts';
import type { LoadedModel } from '../src/runtime/index.ts';

/** Steps of the image the figures are for (SD 1.5's usual count). */
export const IMAGE_STEPS = 50;

/** What one measurement gives. */
export interface ImageFigures {
  model: string;
  device: string;
  adapter?: string;
  deviceReason?: string;
  image: string;
  timedSteps: number;
  guidance: number;
  loadS: number;
  warmupS: number;
  perStepS: number;
  /** Share of a step's wall time outside session.run (scheduler and CFG math in JS, copies, tensor set-up). */
  outsideRunShare: number;
  encodeS: number;
  decodeS: number;
  /** encode + 50 steps + one VAE decode. */
  perImageS: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Time `steps` CFG steps through the shared executor, plus prompt encoding and a VAE decode on their own; print and return the figures. */
export async function measureImage(
  model: LoadedModel,
  opts: { steps: number; guidance: number; loadMs: number; json?: string },
): Promise<ImageFigures> {
  const spec = (steps: number) => {
    const p = parseJobSpec({
      technique: 'imagine',
      prompt: 'a red rocket',
      seed: 1,
      steps,
      guidance: opts.guidance,
    });
    if (!p.ok) throw new Error(p.message);
    return p.spec;
  };
  const ctx: ExecuteContext = {
    model,
    limits: { maxSteps: 1000 },
    loadImage: () => Promise.reject(new Error('no images in this bench')),
    loadMask: () => Promise.reject(new Error('no images in this bench')),
  };
  const frameEvery = 1_000_000; // no trajectory frames but the last
  const w0 = performance.now();
  await executeJob(spec(1), ctx, { frameEvery });
  const warmupMs = performance.now() - w0;

  // The loop: wall and session.run time between the first and the last step's progress callback.
  const marks: { at: number; run: number }[] = [];
  await executeJob(spec(opts.steps + 1), ctx, {
    frameEvery,
    onProgress: () => {
      marks.push({ at: performance.now(), run: model.modelTimeMs() });
    },
  });
  const first = marks[0];
  const last = marks[marks.length - 1];
  const loopMs = last.at - first.at;
  const perStepMs = loopMs / (marks.length - 1);
  const outside = loopMs > 0 ? 1 - (last.run - first.run) / loopMs : 0;

  const encodes: number[] = [];
  const decodes: number[] = [];
  const z = new Float32Array(model.sampleShape.channels * model.sampleShape.height * model.sampleShape.width);
  const reps = perStepMs > 5000 ? 1 : 3; // slow devices (an SD-class model on a few CPU cores): once
  for (let i = 0; i < reps; i++) {
    let t = performance.now();
    // Texts not seen before: the encoder caches what it encoded.
    await model.encodePrompt(`a red rocket, take ${i}`);
    await model.encodePrompt(`a blurry photo, take ${i}`);
    encodes.push(performance.now() - t);
    t = performance.now();
    await model.fromSample(z);
    decodes.push(performance.now() - t);
  }
  const encodeMs = median(encodes);
  const decodeMs = median(decodes);
  const s = (ms: number) => ms / 1000;
  const info = model.deviceInfo;
  const { width, height } = model.imageShape;
  const f: ImageFigures = {
    model: model.name,
    device: model.device ?? 'cpu',
    ...(info?.adapter ? { adapter: info.adapter } : {}),
    ...(info?.reason ? { deviceReason: info.reason } : {}),
    image: `${width}x${height}`,
    timedSteps: marks.length - 1,
    guidance: opts.guidance,
    loadS: s(opts.loadMs),
    warmupS: s(warmupMs),
    perStepS: s(perStepMs),
    outsideRunShare: outside,
    encodeS: s(encodeMs),
    decodeS: s(decodeMs),
    perImageS: s(encodeMs + IMAGE_STEPS * perStepMs + decodeMs),
  };
  const n = (v: number, d = 3) => v.toFixed(d);
  console.log(
    `image benchmark: ${f.model}, ${f.image} image, CFG ${f.guidance} as one batch-2 UNet call per step`,
  );
  console.log(
    `  device        ${f.device}${f.adapter ? ` on ${f.adapter}` : ''}${f.deviceReason ? ` (${f.deviceReason})` : ''}`,
  );
  console.log(
    `  load          ${n(f.loadS, 1)} s; first 1-step image (warm-up, shader compilation) ${n(f.warmupS, 1)} s`,
  );
  console.log(`  per step      ${n(f.perStepS)} s   (mean of ${f.timedSteps} timed steps)`);
  console.log(`  outside run   ${n(f.outsideRunShare * 100, 1)} % of a step (wall time outside session.run)`);
  console.log(`  prompt encode ${n(f.encodeS)} s   (a prompt and a negative prompt)`);
  console.log(`  VAE decode    ${n(f.decodeS)} s`);
  console.log(
    `  per image     ${n(f.perImageS, 2)} s   (${IMAGE_STEPS} steps + encode + decode, extrapolated)`,
  );
  if (opts.json) writeFileSync(opts.json, JSON.stringify(f, null, 2) + '\n');
  return f;
}
