// Runs in the inference process and the CLI.
// Several candidates of one job in one batched run: candidate i is the 1-candidate job with seed
// seed + i, run as its own lane (own generator, estimator and sampler history), and a gate joins
// the lanes' UNet requests of each step into one denoiser call (count x CFG rows; the runtime
// splits a call into chunks of the model's max_batch). Each lane draws exactly the noise its
// 1-candidate job would, so candidate i matches that job up to the UNet's batch arithmetic.
import { makeGrid, type RgbImage } from '../imaging/index.ts';
import type { Denoiser, DenoiserOutput, DenoiserRequest } from '../diffusion/types.ts';
import type { ExecuteContext, ExecuteHooks, ExecuteResult } from './execute.ts';
import { candidateSeeds, type JobSpec } from '../jobs/spec.ts';

interface Pending {
  t: number;
  batch: DenoiserRequest[];
  resolve(out: DenoiserOutput[]): void;
  reject(err: unknown): void;
}

/** Joins the denoiser calls of `lanes` lock-step lanes into one call per step. */
export class BatchGate {
  calls = 0;
  rows = 0;
  private active: number;
  private pending: (Pending | undefined)[] = [];
  private failure: unknown = null;

  constructor(
    lanes: number,
    private readonly denoiser: Denoiser,
    private readonly signal?: AbortSignal,
  ) {
    this.active = lanes;
    this.pending = new Array<Pending | undefined>(lanes);
  }

  /** The denoiser lane `i` calls: its requests wait until every active lane has asked. */
  lane(i: number): Denoiser {
    return (t, batch) =>
      new Promise<DenoiserOutput[]>((resolve, reject) => {
        if (this.failure) return reject(this.failure);
        this.pending[i] = { t, batch, resolve, reject };
        this.flush();
      });
  }

  /** Lane `i` finished (or failed: then every waiting lane fails with it). */
  leave(i: number, err?: unknown): void {
    this.pending[i] = undefined;
    this.active--;
    if (err !== undefined && !this.failure) {
      this.failure = err;
      for (const p of this.pending) p?.reject(err);
      this.pending.fill(undefined);
      return;
    }
    this.flush();
  }

  private flush(): void {
    const waiting = this.pending.filter((p): p is Pending => p !== undefined);
    if (waiting.length === 0 || waiting.length < this.active) return;
    this.pending.fill(undefined);
    // Lanes step in lock-step (same timesteps); a lane at another t gets a call of its own.
    const byT = new Map<number, Pending[]>();
    for (const p of waiting) byT.set(p.t, [...(byT.get(p.t) ?? []), p]);
    for (const [t, group] of byT) void this.run(t, group);
  }

  private async run(t: number, group: Pending[]): Promise<void> {
    const all = group.flatMap((p) => p.batch);
    this.calls++;
    this.rows += all.length;
    try {
      const out = await this.denoiser(t, all, this.signal);
      let k = 0;
      for (const p of group) {
        p.resolve(out.slice(k, k + p.batch.length));
        k += p.batch.length;
      }
    } catch (err) {
      for (const p of group) p.reject(err);
    }
  }
}

/** Runs a job's candidates as lanes of `runOne` (the 1-candidate executor) with one batched UNet call per step; the picture and frames are grids. */
export async function executeCandidates(
  spec: JobSpec,
  ctx: ExecuteContext,
  hooks: ExecuteHooks,
  runOne: (spec: JobSpec, ctx: ExecuteContext, hooks: ExecuteHooks) => Promise<ExecuteResult>,
): Promise<ExecuteResult> {
  const t0 = performance.now();
  const seeds = candidateSeeds(spec);
  const n = seeds.length;
  const gate = new BatchGate(n, ctx.model.denoiser, hooks.signal);
  // Frames arrive per lane; the k-th grid frame is made once every lane has given its k-th.
  const laneFrames: RgbImage[][] = seeds.map(() => []);
  const frames: RgbImage[] = [];
  // Previews the same way, per step: whether one is wanted is asked once a step (the lanes step together).
  const wanted = new Map<number, boolean>();
  const lanePreviews = new Map<number, (RgbImage | undefined)[]>();
  const lanes = seeds.map(async (seed, i) => {
    const laneHooks: ExecuteHooks = {
      signal: hooks.signal,
      frameEvery: hooks.frameEvery,
      frameSource: hooks.frameSource,
      ...(hooks.previewSource ? { previewSource: hooks.previewSource } : {}),
      onProgress: i === 0 ? hooks.onProgress : undefined,
      onFrame: async (frame, p) => {
        laneFrames[i].push(frame);
        while (laneFrames.every((f) => f.length > frames.length)) {
          const grid = makeGrid(laneFrames.map((f) => f[frames.length]));
          frames.push(grid);
          await hooks.onFrame?.(grid, p);
        }
      },
      ...(hooks.onPreview
        ? {
            wantsPreview: (p) => {
              if (!wanted.has(p.step)) wanted.set(p.step, hooks.wantsPreview?.(p) ?? true);
              return wanted.get(p.step)!;
            },
            onPreview: async (frame, p) => {
              const got = lanePreviews.get(p.step) ?? Array<RgbImage | undefined>(n).fill(undefined);
              got[i] = frame;
              lanePreviews.set(p.step, got);
              if (got.some((f) => f === undefined)) return;
              lanePreviews.delete(p.step);
              await hooks.onPreview!(makeGrid(got as RgbImage[]), p);
            },
          }
        : {}),
    };
    const laneCtx: ExecuteContext = { ...ctx, model: { ...ctx.model, denoiser: gate.lane(i) } };
    try {
      const r = await runOne({ ...spec, seed, count: 1 }, laneCtx, laneHooks);
      gate.leave(i);
      return r;
    } catch (err) {
      gate.leave(i, err);
      throw err;
    }
  });
  const results = await Promise.all(lanes);
  const first = results[0];
  const stepTimes = results.map((r) => r.timings.perStepMs);
  return {
    ...first,
    candidates: results.map((r) => r.finalImage),
    image: makeGrid(results.map((r) => r.image)),
    frames,
    timings: {
      totalMs: performance.now() - t0,
      modelMs: Math.max(...results.map((r) => r.timings.modelMs)),
      perStepMs: Math.max(...stepTimes),
      steps: first.timings.steps,
      unetCalls: gate.calls,
      unetEvaluations: gate.rows,
      ...(first.timings.frameDecoder ? { frameDecoder: first.timings.frameDecoder } : {}),
    },
    seed: spec.seed,
    spec: { ...first.spec, seed: spec.seed, count: n },
  };
}
