// Runs in the bot's process (and a scale-out front-end).
// What submit checks of a job before it is stored: the spec itself (and against the model's
// defaults once the worker has reported them), the model's name (against the installed models
// the inference process reports), and the uploads it names.
import { techniqueRefusal } from '../jobs/technique-limits.ts';
import type { Config } from '../config.ts';
import { refusal, type EngineRefusal, type ModelInfo } from '../jobs/api.ts';
import { parseJobSpec, resolveJobSpec, type JobSpec, type SpecLimits } from '../jobs/spec.ts';
import type { JobStore } from '../store/store.ts';
import type { InferenceWorker } from '../inference/worker.ts';

/** The installed models' names as the inference process reads its models folder, asked again at most every 30 s. */
export class KnownModels {
  private names: { at: number; names: Set<string> } | null = null;

  constructor(
    private readonly config: Pick<Config, 'model'>,
    private readonly worker: Pick<InferenceWorker, 'installedModels'>,
  ) {}

  /** The names of the installed models that load (the last answer when the process does not answer). */
  async list(): Promise<Set<string>> {
    const now = Date.now();
    if (!this.names || now - this.names.at > 30_000) {
      const names = await this.worker.installedModels();
      if (names) this.names = { at: now, names: new Set(names) };
    }
    return this.names?.names ?? new Set([this.config.model]);
  }

  /** Whether a model of that name is the configured one or installed. */
  async has(name: string): Promise<boolean> {
    if (name === this.config.model) return true;
    const known = await this.list();
    if (known.has(name)) return true;
    this.names = null; // installed since the last answer? ask once more
    return (await this.list()).has(name);
  }
}

/** The parsed spec of a submitted job, or why it is refused. */
export async function checkSpec(
  input: unknown,
  ctx: {
    limits: SpecLimits;
    worker: Pick<InferenceWorker, 'knownInfo'>;
    models: Pick<KnownModels, 'has' | 'list'>;
    store: JobStore;
  },
): Promise<{ ok: true; spec: JobSpec } | EngineRefusal> {
  const parsed = parseJobSpec(input, ctx.limits);
  if (!parsed.ok) return refusal('invalid_spec', parsed.message);
  const spec = parsed.spec;
  // Checked against the model's facts when the worker has reported them (the run resolves the defaults again).
  const info = ctx.worker.knownInfo(spec.model);
  const resolved = info ? resolveJobSpec(spec, info.defaults, ctx.limits) : null;
  if (resolved && !resolved.ok) return refusal('invalid_spec', resolved.message);
  const unrunnable = info && resolved?.ok ? samplerRefusal(info, resolved.spec.sampler, resolved.spec.steps) : null;
  if (unrunnable) return refusal('invalid_spec', unrunnable);
  const cannot = info ? techniqueRefusal(spec.technique, info.scheduler?.className) : null;
  if (cannot) return refusal('invalid_spec', cannot);
  if (info?.guidanceEmbedding && spec.negative)
    return refusal(
      'invalid_spec',
      `${info.name} takes guidance as an input of its UNet (a guidance embedding), not through a negative prompt: leave the negative prompt out.`,
    );
  if (spec.model && !(await ctx.models.has(spec.model))) {
    return refusal(
      'invalid_spec',
      `I don't have a model called "${spec.model}". Installed: ${[...(await ctx.models.list())].join(', ') || 'none'}.`,
    );
  }
  for (const [field, ref] of [
    ['image', spec.image],
    ['mask', spec.mask],
  ] as const) {
    if (ref && !ctx.store.getUpload(ref)) {
      return refusal('bad_image', `I no longer have the ${field} of that request; attach it again.`);
    }
  }
  // Inpainting without a mask repaints the image's transparent pixels: refuse now, not after queueing, when it has none.
  if (
    spec.technique === 'inpaint' &&
    !spec.mask &&
    spec.image &&
    !ctx.store.getUpload(spec.image)?.hasAlpha
  ) {
    return refusal(
      'invalid_spec',
      'Inpainting needs a mask: attach a mask image (white = repaint) or an image with transparent areas to repaint.',
    );
  }
  return { ok: true, spec };
}

/**
 * Why `sampler` cannot run `steps` steps on a model, from the limits its own plan (diffusers'
 * set_timesteps) gave in the inference process (ModelInfo.scheduler), or null: a pure look-up.
 */
export function samplerRefusal(info: ModelInfo, sampler: string | undefined, steps: number): string | null {
  const limits = sampler ? info.scheduler?.samplers[sampler] : undefined;
  if (!sampler || !limits) return null;
  if (limits.refused) return `Sampler ${sampler} cannot run ${info.name}: ${limits.refused}.`;
  const hit = limits.refusedSteps?.find((r) => steps >= r.from && steps <= r.to);
  if (!hit) return null;
  const fine = runnableSteps(limits.refusedSteps ?? [], info.scheduler?.maxSteps);
  return `Sampler ${sampler} cannot run ${steps} steps on ${info.name}: ${hit.why}.${fine ? ` It runs ${fine} steps there.` : ''}`;
}

/** The step counts in 1..max outside the refused ranges, as "1-50" or "4-100, 120"; null when none or max is unknown. */
function runnableSteps(refused: readonly { from: number; to: number }[], max: number | undefined): string | null {
  if (!max) return null;
  const out: string[] = [];
  let from = 1;
  for (const r of [...refused].sort((a, b) => a.from - b.from)) {
    if (r.from > from) out.push(r.from - 1 === from ? `${from}` : `${from}-${r.from - 1}`);
    from = Math.max(from, r.to + 1);
  }
  if (from <= max) out.push(from === max ? `${from}` : `${from}-${max}`);
  return out.length > 0 ? out.join(', ') : null;
}
