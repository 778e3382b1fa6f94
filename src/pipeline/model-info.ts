// Runs in the inference process and the CLI.
// A model's facts for /model, /help and option texts: built on the inference worker from the
// model it loaded (manifest, image size, device), with the effective defaults a job gets when it
// leaves steps and guidance out (the same resolveJobSpec the jobs use).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeSchedule, type SchedulerConfig } from '../diffusion/schedule.ts';
import { isSchedulerClass, resolveScheduler } from '../diffusion/samplers/config.ts';
import { createSampler, DEFAULT_SAMPLER, SAMPLER_NAMES } from '../diffusion/samplers/registry.ts';
import type { ModelManifest } from '../runtime/manifest.ts';
import type { ModelInfo, SamplerLimits, SchedulerFacts } from '../jobs/api.ts';
import { DEFAULT_SPEC_LIMITS, resolveJobSpec, type SpecLimits } from '../jobs/spec.ts';

/** What modelInfoFrom needs besides the manifest: the folder, the image size and where it runs. */
export interface ModelFacts {
  name: string;
  dir: string;
  manifest: ModelManifest;
  imageShape: { width: number; height: number };
  device?: string;
  fallbackReason?: string;
  /** How the device was chosen (runtime DeviceInfo): the WebGPU adapter and the reason. */
  deviceInfo?: { adapter?: string; reason?: string };
  /** The UNet takes guidance as an input (LCM's w embedding): runtime LoadedModel.guidanceEmbedding. */
  guidanceEmbedding?: unknown;
}

/** The defaults a spec without steps, guidance, sampler or noise level gets on this model (resolveJobSpec on a bare sketch). */
export function effectiveDefaults(
  manifest: Pick<ModelManifest, 'defaults'>,
  limits: Pick<SpecLimits, 'maxSteps'> = DEFAULT_SPEC_LIMITS,
): ModelInfo['defaults'] {
  const r = resolveJobSpec({ technique: 'sketch', prompt: '', seed: 0 }, manifest.defaults, limits);
  if (!r.ok) throw new Error(r.message); // cannot happen: the default noise level is below the default steps
  return { steps: r.spec.steps, guidance: r.spec.guidance, noiseLevel: r.spec.noiseLevel ?? 0, sampler: r.spec.sampler ?? DEFAULT_SAMPLER };
}

/** A ModelInfo from a loaded model's facts; vocabulary and concept counts are read from its prompt files when it has them. */
export function modelInfoFrom(m: ModelFacts, limits?: Pick<SpecLimits, 'maxSteps'>): ModelInfo {
  const man = m.manifest;
  const info: ModelInfo = {
    name: m.name,
    family: man.family,
    ...(man.description ? { description: man.description } : {}),
    ...(man.license ? { license: man.license } : {}),
    ...(man.attribution ? { attribution: man.attribution } : {}),
    width: m.imageShape.width,
    height: m.imageShape.height,
    defaults: effectiveDefaults(man, limits),
    trainTimesteps: man.scheduler.num_train_timesteps,
    ...(m.device ? { device: m.device } : {}),
    ...(m.fallbackReason ? { fallbackReason: m.fallbackReason.split('\n')[0] } : {}),
    ...(m.deviceInfo?.adapter ? { adapter: m.deviceInfo.adapter } : {}),
    ...(m.deviceInfo?.reason ? { deviceReason: m.deviceInfo.reason.split('\n')[0] } : {}),
    scheduler: schedulerFacts(man.scheduler, limits?.maxSteps ?? DEFAULT_SPEC_LIMITS.maxSteps),
    ...(m.guidanceEmbedding ? { guidanceEmbedding: true } : {}),
    ...(man.prior ? { prior: { about: man.prior.about ?? 'A coarse data prior lays out each picture from training images of what the prompt names.' } } : {}),
  };
  const p = man.prompt;
  if (p.encoder === 'bag-of-words') {
    const vocab = readJson(path.join(m.dir, p.vocab)) as { tokens?: unknown[] } | unknown[] | undefined;
    const tokens = Array.isArray(vocab) ? vocab : vocab?.tokens;
    if (Array.isArray(tokens)) info.vocabularySize = tokens.length;
    if (p.concepts) {
      const concepts = readJson(path.join(m.dir, p.concepts)) as { emoji?: string; label?: string; locale?: string }[] | undefined;
      if (Array.isArray(concepts)) {
        // One entry per name and language: a concept is one emoji; examples are different emoji, in English where named so.
        const byEmoji = new Map<string, string>();
        for (const c of concepts) {
          const e = c.emoji ?? '';
          if (!byEmoji.has(e) || c.locale === 'en') byEmoji.set(e, c.label ?? '');
        }
        info.conceptCount = byEmoji.size;
        const all = [...byEmoji];
        const step = Math.max(1, Math.floor(all.length / 8));
        info.examples = all.filter((_, i) => i % step === 0).slice(0, 8).map(([e, label]) => `${e} ${label}`.trim());
      }
    }
  }
  return info;
}

const factsCache = new WeakMap<object, Map<number, SchedulerFacts>>();

/**
 * A model's scheduler facts (diffusers' from_config per sampler, then each sampler's own set_timesteps
 * for 1..maxSteps): the class and keys applied, and per sampler what it refuses, so the bot's process
 * can refuse a job at submit without loading anything. Cached per config object.
 */
export function schedulerFacts(config: Record<string, unknown>, maxSteps: number): SchedulerFacts {
  const cached = factsCache.get(config)?.get(maxSteps);
  if (cached) return cached;
  const named = typeof config._class_name === 'string' ? config._class_name : undefined;
  let resolved: { settings: Record<string, unknown>; ignored: string[] };
  try {
    resolved = resolveScheduler(config, named && isSchedulerClass(named) ? named : 'DDPMScheduler');
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    resolved = { settings: {}, ignored: [] }; // each sampler below says why it refuses the config
  }
  const applied = Object.entries(resolved.settings)
    .filter(([k, v]) => k !== 'trained_betas' || v !== null)
    .map(([k, v]) => `${k} ${Array.isArray(v) ? `[${v.length} values]` : JSON.stringify(v)}`);
  const schedule = makeSchedule(config as unknown as SchedulerConfig);
  const samplers: Record<string, SamplerLimits> = {};
  for (const name of SAMPLER_NAMES) {
    let sampler: ReturnType<typeof createSampler>;
    try {
      sampler = createSampler(name, config);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      samplers[name] = { refused: e.message };
      continue;
    }
    const refusedSteps: NonNullable<SamplerLimits['refusedSteps']> = [];
    for (let n = 1; n <= maxSteps; n++) {
      let why: string | undefined;
      try {
        sampler.plan(n, schedule);
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
        why = e.message.replace(/,? got \d+$/, ''); // the count itself is the job's, said by the check
      }
      const last = refusedSteps.at(-1);
      if (why === undefined) continue;
      if (last && last.to === n - 1 && last.why === why) last.to = n;
      else refusedSteps.push({ from: n, to: n, why });
    }
    samplers[name] = refusedSteps.length > 0 ? { refusedSteps } : {};
  }
  const facts: SchedulerFacts = {
    className: named ?? 'the project scheduler',
    applied,
    ignored: resolved.ignored,
    maxSteps,
    samplers,
  };
  const byMax = factsCache.get(config) ?? new Map<number, SchedulerFacts>();
  byMax.set(maxSteps, facts);
  factsCache.set(config, byMax);
  return facts;
}

/** Parsed JSON of a file, or undefined when it is missing or unreadable (the fact is then left out). */
function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
