// `npm run bench -- pipeline [--model NAME|PATH] [--device D] [--runs N] [--count N]`: timings of a 33-step CFG generation.
// Runs it through the shared executor and prints total time, the sum of session.run time, the
// overhead share, and batched CFG (one batch-2 UNet call per step) against unbatched (two batch-1
// calls per step).
// With `--count N` (2-4): one N-candidate job against N 1-candidate jobs (bench/candidates-timing.ts).
// With `--steps N` (SD-class models, bench/build-sd15.py): seconds per step and per 50-step image
// (CFG as one batch-2 call, prompt encoding and VAE decode included) from N timed steps, and the
// share of a step outside session.run (bench/image-timing.ts); `--json FILE` writes the figures.
//
// Threads and device come from the environment as for the bot (INTRA_OP_THREADS, DEVICE, ...);
// --device overrides DEVICE. Figures only: nothing is asserted.
import { createRequire } from 'node:module';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { modelsDirOf, resolveModel } from '../src/adapters/cli/models.ts';
import { loadConfig, type Config } from '../src/config.ts';
import type { Denoiser } from '../src/diffusion/types.ts';
import { executeJob, type ExecuteContext } from '../src/pipeline/execute.ts';
import { parseJobSpec, type JobSpec } from '../src/jobs/spec.ts';
import { deviceText, runtimeOptionsFrom, loadModel, type LoadedModel } from '../src/runtime/index.ts';
import { measureCandidates } from './candidates-timing.ts';
import { measureImage } from './image-timing.ts';

const DEVICES = ['cpu', 'cuda', 'webgpu', 'auto'] as const;

const STEPS = 33;
const GUIDANCE = 7;
const PROMPT = 'a red rocket';

/** Counts of UNet calls made through a denoiser. */
interface CallStats {
  calls: number;
  requests: number;
}

/** The denoiser with each call counted. */
function counted(d: Denoiser, stats: CallStats): Denoiser {
  return (t, batch, signal) => {
    stats.calls++;
    stats.requests += batch.length;
    return d(t, batch, signal);
  };
}

/** The denoiser with every request of a batch sent as its own call (unbatched CFG: cond and uncond separately). */
export function unbatched(d: Denoiser): Denoiser {
  return async (t, batch, signal) => {
    const out = [];
    for (const r of batch) out.push(...(await d(t, [r], signal)));
    return out;
  };
}

interface Timing {
  totalMs: number;
  runMs: number;
  perStepMs: number;
  calls: number;
  requests: number;
}

async function generate(
  model: LoadedModel,
  spec: JobSpec,
  split: boolean,
  frameEvery: number,
): Promise<Timing> {
  const stats: CallStats = { calls: 0, requests: 0 };
  const calls = counted(model.denoiser, stats);
  const ctx: ExecuteContext = {
    model: { ...model, denoiser: split ? unbatched(calls) : calls },
    loadImage: () => Promise.reject(new Error('no images in this bench')),
    loadMask: () => Promise.reject(new Error('no images in this bench')),
  };
  const r = await executeJob(spec, ctx, { frameEvery });
  return {
    totalMs: r.timings.totalMs,
    runMs: r.timings.modelMs,
    perStepMs: r.timings.perStepMs,
    calls: stats.calls,
    requests: stats.requests,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (v: number): string => `${v.toFixed(1).padStart(9)} ms`;

function summarize(label: string, runs: Timing[]): { total: number; run: number } {
  const total = median(runs.map((r) => r.totalMs));
  const run = median(runs.map((r) => r.runMs));
  const min = (k: keyof Timing) => Math.min(...runs.map((r) => r[k]));
  const { calls, requests } = runs[0];
  console.log(`  ${label}: ${calls} UNet calls of batch ${requests / calls} (${requests} evaluations)`);
  console.log(`    total         ${ms(total)}   (min ${min('totalMs').toFixed(1)})`);
  console.log(`    session.run   ${ms(run)}   (min ${min('runMs').toFixed(1)})`);
  console.log(
    `    overhead      ${(((total - run) / total) * 100).toFixed(1).padStart(9)} %    (total - session.run) / total`,
  );
  console.log(`    per step      ${ms(median(runs.map((r) => r.perStepMs)))}`);
  return { total, run };
}

function ortVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function threadsText(config: Config): string {
  return config.intraOpThreads > 0
    ? String(config.intraOpThreads)
    : `${os.availableParallelism()} (default: one per core this process may use)`;
}

/** Run the pipeline benchmark: warm up once per variant, then time `runs` batched and unbatched generations alternately. */
export async function main(args: string[] = []): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      runs: { type: 'string' },
      device: { type: 'string' },
      steps: { type: 'string' },
      cfg: { type: 'string' },
      json: { type: 'string' },
      count: { type: 'string' },
    },
    strict: true,
  });
  const device = values.device as (typeof DEVICES)[number] | undefined;
  if (device !== undefined && !DEVICES.includes(device))
    throw new Error(`--device must be ${DEVICES.join(', ')} (got '${values.device}')`);
  const imageSteps = values.steps === undefined ? undefined : Number(values.steps);
  if (imageSteps !== undefined && (!Number.isInteger(imageSteps) || imageSteps < 1))
    throw new Error(`--steps must be a whole number of at least 1 (got '${values.steps}')`);
  const cfg = values.cfg === undefined ? 7.5 : Number(values.cfg);
  if (!Number.isFinite(cfg) || cfg <= 1)
    throw new Error(`--cfg must be a number above 1 (got '${values.cfg}')`);
  const runs = values.runs === undefined ? 5 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`--runs must be a whole number of at least 1 (got '${values.runs}')`);
  const count = values.count === undefined ? undefined : Number(values.count);
  if (count !== undefined && (!Number.isInteger(count) || count < 2 || count > 4))
    throw new Error(`--count must be 2, 3 or 4 (got '${values.count}')`);
  const config = loadConfig(process.env);
  const modelsDir = modelsDirOf(config, process.env);
  const dir = resolveModel(values.model ?? config.model, modelsDir);

  const loadStart = performance.now();
  const model = await loadModel(dir, {
    modelsDir,
    ...runtimeOptionsFrom({ ...config, device: device ?? config.device }),
  });
  const loadMs = performance.now() - loadStart;
  if (imageSteps !== undefined) {
    try {
      await measureImage(model, { steps: imageSteps, guidance: cfg, loadMs, json: values.json });
    } finally {
      await model.dispose();
    }
    return;
  }
  try {
    const parsed = parseJobSpec({
      technique: 'imagine',
      prompt: PROMPT,
      seed: 1,
      steps: STEPS,
      guidance: GUIDANCE,
    });
    if (!parsed.ok) throw new Error(parsed.message);
    const spec = parsed.spec;
    const warm = { ...spec, steps: 3 };
    const cpus = os.cpus();
    const s = model.sampleShape;

    console.log('pipeline benchmark');
    console.log(
      `  machine      ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores (os.cpus), ${os.platform()} ${os.arch()}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`,
    );
    console.log(
      `  onnxruntime  onnxruntime-node ${ortVersion()}, device ${model.deviceInfo ? deviceText(model.deviceInfo) : (model.device ?? 'cpu')}, intra-op threads: ${threadsText(config)}`,
    );
    console.log(
      `  model        ${model.name} (${dir}), sample ${s.channels}x${s.height}x${s.width}, loaded in ${loadMs.toFixed(0)} ms`,
    );
    console.log(
      `  job          imagine "${PROMPT}", ${STEPS} steps, CFG ${GUIDANCE} (cond + uncond each step)${model.coarsePrior ? ', coarse data prior on' : ''}, seed 1, a trajectory frame every ${config.frameEvery} step(s)`,
    );
    console.log(
      `  runs         ${runs} of each variant, alternating, after one warm-up of each; medians shown`,
    );

    if (count !== undefined) {
      console.log(`  candidates   ${count} (seeds 1..${count}), one batched UNet call per step`);
      await measureCandidates(model, spec, count, runs, config.frameEvery);
      return;
    }
    await generate(model, warm, false, config.frameEvery);
    await generate(model, warm, true, config.frameEvery);
    const batched: Timing[] = [];
    const split: Timing[] = [];
    for (let i = 0; i < runs; i++) {
      batched.push(await generate(model, spec, false, config.frameEvery));
      split.push(await generate(model, spec, true, config.frameEvery));
    }
    console.log('');
    const b = summarize('batched CFG', batched);
    const u = summarize('unbatched CFG', split);
    console.log('');
    console.log(
      `  batched CFG speedup: ${(u.total / b.total).toFixed(2)}x on total time, ${(u.run / b.run).toFixed(2)}x on session.run time`,
    );
  } finally {
    await model.dispose();
  }
}
