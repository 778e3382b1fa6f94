// What the CLI writes: the result PNG (upscaled for display) and the trajectory GIF (through the
// engine's result writer), the --json object and the human summary lines.
import type { ExecuteResult } from '../../pipeline/execute.ts';
import { writeResultFiles } from '../../pipeline/result-files.ts';
import type { JobSpec, ResolvedJobSpec } from '../../jobs/spec.ts';
import { candidateSeeds, countOf } from '../../jobs/spec.ts';
import type { UnderstoodConcept } from '../../runtime/index.ts';

/** Sizes of written images. */
export interface OutputSizes {
  /** Shortest side the PNG is upscaled to (nearest neighbour, integer factor). */
  displaySize: number;
  /** Shortest side of GIF frames. */
  gifSize: number;
}

/** Paths written, absolute. */
export interface WrittenOutputs {
  png: string;
  gif: string | null;
  gifFrames: number;
}

/** Default PNG path: ./<technique>-<seed>.png. */
export function defaultOutputPath(spec: JobSpec): string {
  return `${spec.technique}-${spec.seed}.png`;
}

/** Write the PNG (and the GIF when asked and there are frames: 80 ms per frame, last held 1.5 s, looping). */
export async function writeOutputs(
  result: ExecuteResult,
  paths: { png: string; gif?: string },
  sizes: OutputSizes,
): Promise<WrittenOutputs> {
  const { png, gif, gifFrames } = await writeResultFiles(result, paths, sizes);
  return { png, gif, gifFrames };
}

/** Timings reported by --json, in milliseconds. */
export interface CliTimings {
  /** The job itself: prompts, sampling loop, decoding of the result (executeJob). */
  totalMs: number;
  /** Sum of session.run time within the job. */
  modelMs: number;
  /** Mean wall time of one denoising step. */
  perStepMs: number;
  /** Loop steps run. */
  loopSteps: number;
  /** Loading the model (session creation). */
  loadMs: number;
  /** Encoding and writing the PNG/GIF. */
  writeMs: number;
  /** The whole command, start to exit. */
  wallMs: number;
}

/** "seed 5", or "4 candidates, seeds 5, 6, 7, 8" for the summary line. */
export function seedsText(spec: ResolvedJobSpec): string {
  const seeds = candidateSeeds(spec);
  return seeds.length > 1 ? `${seeds.length} candidates, seeds ${seeds.join(', ')}` : `seed ${spec.seed}`;
}

/** The one object --json prints. */
export interface CliJson {
  technique: string;
  seed: number;
  /** Seeds of the candidates (seed, seed+1, ...) when there are several; the PNG and GIF are their grid. */
  seeds?: number[];
  steps: number;
  guidance: number;
  /** The sampler that ran (absent for noise). */
  sampler?: string;
  model: string;
  modelDir: string;
  device: string;
  timings: CliTimings;
  understood: UnderstoodConcept[];
  unknown: string[];
  outputs: { png: string; gif: string | null };
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

/** Build the --json object. */
export function jsonReport(
  spec: ResolvedJobSpec,
  result: ExecuteResult,
  model: { name: string; dir: string; device?: string },
  outputs: WrittenOutputs,
  extra: { loadMs: number; writeMs: number; wallMs: number },
): CliJson {
  return {
    technique: spec.technique,
    seed: spec.seed,
    ...(countOf(spec) > 1 ? { seeds: candidateSeeds(spec) } : {}),
    steps: spec.steps,
    guidance: spec.guidance,
    ...(spec.sampler ? { sampler: spec.sampler } : {}),
    model: model.name,
    modelDir: model.dir,
    device: model.device ?? 'cpu',
    timings: {
      totalMs: round(result.timings.totalMs),
      modelMs: round(result.timings.modelMs),
      perStepMs: round(result.timings.perStepMs),
      loopSteps: result.timings.steps,
      loadMs: round(extra.loadMs),
      writeMs: round(extra.writeMs),
      wallMs: round(extra.wallMs),
    },
    understood: result.understood,
    unknown: result.unknown,
    outputs: { png: outputs.png, gif: outputs.gif },
  };
}

/** "understood: 🚀 rocket, 🐶 dog; unknown: zorb": understood always when a prompt was given ("nothing" if empty), unknown when any; '' without prompts. */
export function understoodLine(
  understood: readonly UnderstoodConcept[],
  unknown: readonly string[],
  hadPrompt: boolean,
): string {
  if (!hadPrompt && understood.length === 0 && unknown.length === 0) return '';
  const labels = [...new Set(understood.map((c) => c.label))];
  const parts = [`understood: ${labels.length > 0 ? labels.join(', ') : 'nothing'}`];
  if (unknown.length > 0) parts.push(`unknown: ${unknown.join(', ')}`);
  return parts.join('; ');
}
