// Runs in the bot's process (and a scale-out front-end).
// Wait estimates: how long until a queued job starts, from a moving average of ms per step per
// technique (learnt from finished jobs) and the running job's progress.
import { countOf, type JobSpec } from '../jobs/spec.ts';

const DEFAULT_MS_PER_STEP = 500;
/** Weight of the newest job in the moving average. */
const EMA = 0.3;

/** What the estimator needs to know of a job. */
interface Timed {
  spec: JobSpec;
  startedAt: number | null;
  step: number;
  total: number;
}

/** Learns ms per step from finished jobs and estimates waits. */
export class EtaEstimator {
  private readonly msPerStep = new Map<string, number>();

  /** `defaultSteps(model)`: a model's default step count as the worker reported it, if known. */
  constructor(private readonly defaultSteps: (model: string | undefined) => number | undefined) {}

  /** Estimated ms until a job at `position` starts: the running job's remaining time plus the estimates of the waiting ones ahead. */
  waitFor(position: number, running: Timed | null, waiting: readonly Timed[], now = Date.now()): number {
    if (position <= 0) return 0;
    let ms = 0;
    let ahead = position;
    if (running) {
      if (running.startedAt !== null && running.step > 0 && running.total > 0) {
        const elapsed = now - running.startedAt;
        ms += Math.max(0, (elapsed / running.step) * (running.total - running.step));
      } else {
        ms += this.estimate(running.spec);
      }
      ahead--;
    }
    for (let i = 0; i < ahead && i < waiting.length; i++) ms += this.estimate(waiting[i].spec);
    return Math.round(ms);
  }

  /** Expected run time of a spec: steps x a moving average of ms per step for its technique (or any technique). */
  estimate(spec: JobSpec): number {
    const per = this.msPerStep.get(spec.technique) ?? this.msPerStep.get('*') ?? DEFAULT_MS_PER_STEP;
    return this.stepsRun(spec) * per;
  }

  /** Learns from a finished job that ran `ms`. */
  learn(spec: JobSpec, ms: number): void {
    const per = ms / this.stepsRun(spec);
    for (const k of [spec.technique, '*']) {
      const old = this.msPerStep.get(k);
      this.msPerStep.set(k, old === undefined ? per : old + EMA * (per - old));
    }
  }

  /** Denoising steps a spec runs: its own (else the model's default, else 33), less a sketch's skipped ones, once per candidate (a batched step costs about one step per candidate where the UNet is compute-bound); 1 for noise. */
  private stepsRun(spec: JobSpec): number {
    if (spec.technique === 'noise') return 1;
    const steps = spec.steps ?? this.defaultSteps(spec.model) ?? 33;
    return Math.max(1, steps - (spec.technique === 'sketch' ? (spec.noiseLevel ?? 0) : 0)) * countOf(spec);
  }
}
