// Settings applied where a command builds its job spec: an option the user gave wins, then the
// user's /settings, then the server's (set by its admins); what is still absent the engine fills
// from the model's manifest (resolveJobSpec), the one source of the model's defaults.
import type { Engine, JobDefaults, JobOwner, JobSpecInput, SettingsApi } from '../src/jobs/api.ts';
import type { CommandOptions } from './types.ts';

/** Where an effective default comes from. */
export type DefaultSource = 'user' | 'server';

/** The job-default keys /settings manages, and the spec field each sets. */
export const SPEC_FIELDS = { model: 'model', guidance: 'guidance', steps: 'steps', sampler: 'sampler', count: 'count', prior: 'prior' } as const;

/** The user's and the server's settings of an owner ({} without a settings store). */
export function settingsOf(settings: SettingsApi | undefined, owner: JobOwner): { user: JobDefaults; server: JobDefaults } {
  if (!settings) return { user: {}, server: {} };
  return {
    user: settings.get('user', owner.platform, owner.userId),
    server: owner.serverId ? settings.get('server', owner.platform, owner.serverId) : {},
  };
}

/** Each default in force for the owner (the user's over the server's), with where it comes from. */
export function effectiveDefaults(
  settings: SettingsApi | undefined,
  owner: JobOwner,
): { [K in keyof JobDefaults]?: { value: NonNullable<JobDefaults[K]>; from: DefaultSource } } {
  const { user, server } = settingsOf(settings, owner);
  const out: Record<string, { value: unknown; from: DefaultSource }> = {};
  for (const k of ['model', 'guidance', 'steps', 'sampler', 'count', 'prior', 'private'] as const) {
    if (user[k] !== undefined) out[k] = { value: user[k], from: 'user' };
    else if (server[k] !== undefined) out[k] = { value: server[k], from: 'server' };
  }
  return out;
}

/** The spec input with the owner's settings filled in where the command left a field out (the engine drops fields a technique does not use, e.g. count of inpaint). */
export function applyDefaults(input: JobSpecInput, engine: Pick<Engine, 'settings'>, owner: JobOwner): JobSpecInput {
  const eff = effectiveDefaults(engine.settings, owner);
  const out: Record<string, unknown> = { ...input };
  const sampling = input.technique !== 'noise';
  for (const [key, field] of Object.entries(SPEC_FIELDS)) {
    const d = eff[key as keyof typeof SPEC_FIELDS];
    if (!d || out[field] !== undefined) continue;
    if (key !== 'model' && !sampling) continue;
    out[field] = d.value;
  }
  return out as JobSpecInput;
}

/** Whether a generating command answers only the caller: its `private` option, else the user's setting, else the server's. */
export function wantsPrivate(engine: Pick<Engine, 'settings'>, owner: JobOwner, options: CommandOptions): boolean {
  const v = options.private;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false|yes|no|on|off|1|0)$/i.test(v.trim())) return /^(true|yes|on|1)$/i.test(v.trim());
  return effectiveDefaults(engine.settings, owner).private?.value ?? false;
}
