// When a job is refused because of a value that came from /settings (not from the command), the
// refusal says so and how to change it: a saved `steps:50` that a later MAX_STEPS=20 refuses would
// otherwise refuse every job with no hint of why. Also the step limit /settings checks against.
import type { Engine, JobOwner, JobSpecInput } from '../src/jobs/api.ts';
import { DEFAULT_SPEC_LIMITS } from '../src/jobs/spec.ts';
import { effectiveDefaults, SPEC_FIELDS } from './job-defaults.ts';

/** The words of a refusal that name each setting (the spec's own messages: "Steps must be at most 20.", "Sampler lcm cannot run 60 steps ..."). */
const NAMED: Record<keyof typeof SPEC_FIELDS, RegExp> = {
  steps: /\bsteps?\b|\bnoise level\b/i,
  guidance: /\bguidance\b|\bcfg\b/i,
  sampler: /\bsampler\b/i,
  count: /\bcount\b|\bcandidates?\b/i,
  model: /\bmodel called\b/i,
  prior: /\bprior\b/i,
};

const OPTION: Record<keyof typeof SPEC_FIELDS, string> = { model: 'model', guidance: 'cfg', steps: 'steps', sampler: 'sampler', count: 'count', prior: 'prior' };

/**
 * A sentence naming the settings that supplied a value the refusal `message` is about, or '' when
 * none did: the job's own options are the user's to fix, a setting is not visible in the command.
 */
export function settingsHint(message: string, input: JobSpecInput, engine: Pick<Engine, 'settings'>, owner: JobOwner): string {
  const eff = effectiveDefaults(engine.settings, owner);
  const parts: string[] = [];
  let server = false;
  for (const [key, field] of Object.entries(SPEC_FIELDS) as [keyof typeof SPEC_FIELDS, string][]) {
    const d = eff[key];
    // Only a value the command left out came from the settings.
    if (!d || (input as Record<string, unknown>)[field] !== undefined || !NAMED[key].test(message)) continue;
    if (key !== 'model' && input.technique === 'noise') continue; // noise takes no sampling settings
    parts.push(`${OPTION[key]} ${String(d.value)}`);
    if (d.from === 'server') server = true;
  }
  if (parts.length === 0) return '';
  const what = parts.join(' and ');
  const keys = parts.map((p) => p.split(' ')[0]);
  return server
    ? ` (${what} comes from this server's /settings, set by its admins: give ${keys.join(' and ')} with the command to use another value.)`
    : ` (${what} comes from your /settings: change it with /settings ${keys.map((k) => `${k}:…`).join(' ')}, or /settings clear:${keys[0]}.)`;
}

/** The most steps a job may ask for on this bot (MAX_STEPS), as the loaded model's facts report it; the default limit when they cannot be had. */
export async function stepLimit(engine: Pick<Engine, 'modelInfo'>): Promise<number> {
  try {
    const r = await engine.modelInfo();
    if (r.ok && r.info.scheduler) return r.info.scheduler.maxSteps;
  } catch {
    // No model facts now: the engine still checks every job's steps at submit.
  }
  return DEFAULT_SPEC_LIMITS.maxSteps;
}
