// What submit checks of a job before it is stored: the spec itself (and against the model's
// defaults once the worker has reported them), the model's name, and the uploads it names.
import type { Config } from '../config.ts';
import { listModels } from '../runtime/models-dir.ts';
import { refusal, type EngineRefusal } from '../jobs/api.ts';
import { parseJobSpec, resolveJobSpec, type JobSpec, type SpecLimits } from '../jobs/spec.ts';
import type { JobStore } from '../store/store.ts';
import type { InferenceWorker } from '../inference/worker.ts';

/** The installed models' names, read again at most every 30 s. */
export class KnownModels {
  private names: { at: number; names: Set<string> } | null = null;

  constructor(private readonly config: Pick<Config, 'model' | 'modelsDir'>) {}

  /** The names of the installed models that load. */
  list(): Set<string> {
    const now = Date.now();
    if (!this.names || now - this.names.at > 30_000) {
      this.names = {
        at: now,
        names: new Set(
          listModels(this.config.modelsDir)
            .filter((m) => !m.error)
            .map((m) => m.name),
        ),
      };
    }
    return this.names.names;
  }

  /** Whether a model of that name is the configured one or installed. */
  has(name: string): boolean {
    if (name === this.config.model) return true;
    return this.list().has(name);
  }
}

/** The parsed spec of a submitted job, or why it is refused. */
export function checkSpec(
  input: unknown,
  ctx: {
    limits: SpecLimits;
    worker: Pick<InferenceWorker, 'knownDefaults'>;
    models: Pick<KnownModels, 'has' | 'list'>;
    store: JobStore;
  },
): { ok: true; spec: JobSpec } | EngineRefusal {
  const parsed = parseJobSpec(input, ctx.limits);
  if (!parsed.ok) return refusal('invalid_spec', parsed.message);
  const spec = parsed.spec;
  // Checked against the model's defaults when the worker has reported them (the run resolves them again).
  const defaults = ctx.worker.knownDefaults(spec.model);
  const resolved = defaults ? resolveJobSpec(spec, defaults, ctx.limits) : null;
  if (resolved && !resolved.ok) return refusal('invalid_spec', resolved.message);
  if (spec.model && !ctx.models.has(spec.model)) {
    return refusal(
      'invalid_spec',
      `I don't have a model called "${spec.model}". Installed: ${[...ctx.models.list()].join(', ') || 'none'}.`,
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
