// Runs in the bot's process (and a scale-out front-end).
// What submit checks of a job before it is stored: the spec itself (and against the model's
// defaults once the worker has reported them), the model's name (against the installed models
// the inference process reports), and the uploads it names.
import type { Config } from '../config.ts';
import { refusal, type EngineRefusal } from '../jobs/api.ts';
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
    worker: Pick<InferenceWorker, 'knownDefaults'>;
    models: Pick<KnownModels, 'has' | 'list'>;
    store: JobStore;
  },
): Promise<{ ok: true; spec: JobSpec } | EngineRefusal> {
  const parsed = parseJobSpec(input, ctx.limits);
  if (!parsed.ok) return refusal('invalid_spec', parsed.message);
  const spec = parsed.spec;
  // Checked against the model's defaults when the worker has reported them (the run resolves them again).
  const defaults = ctx.worker.knownDefaults(spec.model);
  const resolved = defaults ? resolveJobSpec(spec, defaults, ctx.limits) : null;
  if (resolved && !resolved.ok) return refusal('invalid_spec', resolved.message);
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
