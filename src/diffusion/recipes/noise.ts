// Runs in the inference process and the CLI (pure math, no I/O).
import { forward } from '../forward.ts';
import type { Rng } from '../rng.ts';
import type { Schedule } from '../schedule.ts';
import { abarAt } from '../schedule.ts';

export interface NoiseOptions {
  /** Clean image in [-1, 1], CHW. */
  image: Float32Array;
  /** Timesteps to show, e.g. [250, 500, 750]. */
  timesteps: readonly number[];
  schedule: Schedule;
  rng: Rng;
}

/** Forward process only: x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps for each t, one eps shared by all t. */
export function noise(o: NoiseOptions): Float32Array[] {
  const abars = o.timesteps.map((t) => abarAt(o.schedule, t));
  const eps = o.rng.normal(o.image.length);
  return abars.map((a) => forward(o.image, eps, a));
}
