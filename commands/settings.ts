// /settings: shows or changes a user's defaults of new jobs (model, cfg, steps, sampler, count,
// private replies); with scope:server an admin changes the server's defaults, and with
// scope:server or scope:channel its content rules (banned words and phrases; /patterns/ only in
// the bot's configuration). Without options it shows what the next job would use and where each
// value comes from.
import { SAMPLER_NAMES } from '../src/diffusion/samplers/registry.ts';
import type { JobDefaults, SettingsApi, SettingsPatch, SettingsScope } from '../src/jobs/api.ts';
import { parseRuleList, validateRules } from '../src/engine/content-rules.ts';
import { DEFAULT_SPEC_LIMITS, MAX_COUNT } from '../src/jobs/spec.ts';
import { listModels } from '../src/runtime/models-dir.ts';
import { optBoolean } from './options.ts';
import { optNumber, optString } from './submit.ts';
import { stepLimit } from './settings-hint.ts';
import { effectiveDefaults, settingsOf } from './job-defaults.ts';
import type { CommandContext, CommandReply, CommandSpec } from './types.ts';

const CLEARABLE = ['model', 'cfg', 'steps', 'sampler', 'count', 'prior', 'private', 'banned', 'all'] as const;

export const spec: CommandSpec = {
  name: 'settings',
  description: 'Show or change your defaults for new jobs (admins: the server defaults and content rules)',
  options: [
    { name: 'model', description: 'Default model (see /model)', type: 'string', maxLength: 64 },
    { name: 'cfg', description: 'Default guidance scale', type: 'number', min: 0, max: DEFAULT_SPEC_LIMITS.maxGuidance },
    { name: 'steps', description: 'Default denoising steps', type: 'integer', min: 1, max: DEFAULT_SPEC_LIMITS.maxSteps },
    {
      name: 'sampler',
      description: 'Default sampler',
      type: 'string',
      choices: SAMPLER_NAMES.map((n) => ({ name: n, value: n })),
    },
    { name: 'count', description: `Default number of candidates (1-${MAX_COUNT})`, type: 'integer', min: 1, max: MAX_COUNT },
    { name: 'prior', description: "Use the model's coarse data prior (the bundled model; default on)", type: 'boolean' },
    { name: 'private', description: 'Show results only to the person who asked', type: 'boolean' },
    {
      name: 'scope',
      description: 'Whose settings: me (default), server or channel (admins)',
      type: 'string',
      choices: [
        { name: 'me', value: 'me' },
        { name: 'server', value: 'server' },
        { name: 'channel', value: 'channel' },
      ],
    },
    {
      name: 'banned',
      description: 'Admins, scope server or channel: banned words or phrases, comma-separated; none clears',
      type: 'string',
      maxLength: 1000,
    },
    {
      name: 'clear',
      description: 'Go back to the default of one setting, or all of them',
      type: 'string',
      choices: CLEARABLE.map((n) => ({ name: n, value: n })),
    },
  ],
};

const CHANGES = ['model', 'cfg', 'steps', 'sampler', 'count', 'prior', 'private', 'banned', 'clear'] as const;

/** Shows or changes settings; replies only to the caller. */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const store = ctx.engine.settings;
  if (!store) return { kind: 'refusal', message: 'This bot keeps no settings (its backend has no settings store).' };
  const o = ctx.options;
  const scopeName = optString(o, 'scope') ?? 'me';
  if (!['me', 'server', 'channel'].includes(scopeName)) return refuse('scope must be me, server or channel.');
  const changing = CHANGES.some((k) => o[k] !== undefined && o[k] !== '');
  if (!changing) return { kind: 'text', text: showText(store, ctx), ephemeral: true };

  const scope: SettingsScope = scopeName === 'me' ? 'user' : (scopeName as SettingsScope);
  const id = scope === 'user' ? ctx.owner.userId : scope === 'server' ? ctx.owner.serverId : ctx.owner.channelRef;
  if (!id) return refuse(scope === 'server' ? 'There is no server here (a direct message): use scope me.' : 'There is no channel here.');
  if (scope !== 'user' && !ctx.actor.serverAdmin) {
    return refuse(`Only the server's admins can change its ${scope === 'server' ? 'defaults and content rules' : 'channel content rules'}.`);
  }

  const patch = buildPatch(ctx, scope, o.steps !== undefined ? await stepLimit(ctx.engine) : DEFAULT_SPEC_LIMITS.maxSteps);
  if ('error' in patch) return refuse(patch.error);
  store.update(scope, ctx.owner.platform, id, patch.patch);
  const whose = scope === 'user' ? 'Your settings' : scope === 'server' ? "This server's settings" : "This channel's content rules";
  return { kind: 'text', text: `Saved. ${whose} are updated.\n\n${showText(store, ctx)}`, ephemeral: true };
}

function refuse(message: string): CommandReply {
  return { kind: 'refusal', message };
}

/** The change the options ask for, or a message for the user. */
function buildPatch(ctx: CommandContext, scope: SettingsScope, maxSteps: number): { patch: SettingsPatch } | { error: string } {
  const o = ctx.options;
  const patch: SettingsPatch = {};
  const clear = optString(o, 'clear');
  if (clear !== undefined && !(CLEARABLE as readonly string[]).includes(clear)) return { error: `clear must be one of ${CLEARABLE.join(', ')}.` };
  if (clear === 'all') Object.assign(patch, { model: null, guidance: null, steps: null, sampler: null, count: null, prior: null, private: null, banned: null });
  else if (clear) patch[clear === 'cfg' ? 'guidance' : (clear as keyof SettingsPatch)] = null;

  const banned = optString(o, 'banned');
  if (banned !== undefined) {
    if (scope === 'user') return { error: 'Content rules belong to a server or a channel: add scope server or scope channel (admins).' };
    const v = validateRules(/^none$/i.test(banned) ? [] : parseRuleList(banned), { patterns: false });
    if (!v.ok) return { error: v.message };
    patch.banned = v.rules;
  }
  const defaults: (keyof JobDefaults)[] = ['model', 'steps', 'sampler', 'count', 'prior', 'private'];
  const givesDefault = defaults.some((k) => o[k] !== undefined) || o.cfg !== undefined;
  if (scope === 'channel' && (givesDefault || (clear && clear !== 'banned' && clear !== 'all'))) {
    return { error: 'A channel has only content rules (banned); set defaults with scope me or server.' };
  }
  const model = optString(o, 'model');
  if (model !== undefined) {
    const known = new Set([ctx.defaultModel, ...listModels(ctx.modelsDir).filter((m) => !m.error).map((m) => m.name)]);
    if (!known.has(model)) return { error: `I don't have a model called "${model}". Installed: ${[...known].filter(Boolean).join(', ')}.` };
    patch.model = model;
  }
  for (const [opt, key, min, max, int] of [
    ['cfg', 'guidance', 0, DEFAULT_SPEC_LIMITS.maxGuidance, false],
    ['steps', 'steps', 1, maxSteps, true],
    ['count', 'count', 1, MAX_COUNT, true],
  ] as const) {
    const v = optNumber(o, opt);
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (int && !Number.isInteger(v))) {
      const limit = opt === 'steps' && typeof v === 'number' && v > max ? `: this bot runs at most ${max} steps (its MAX_STEPS setting), so every job would be refused` : '';
      return { error: `${opt} must be ${int ? 'a whole number' : 'a number'} from ${min} to ${max}${limit}.` };
    }
    patch[key] = v;
  }
  const sampler = optString(o, 'sampler');
  if (sampler !== undefined) {
    if (!(SAMPLER_NAMES as readonly string[]).includes(sampler)) return { error: `sampler must be one of ${SAMPLER_NAMES.join(', ')}.` };
    patch.sampler = sampler;
  }
  for (const key of ['prior', 'private'] as const) {
    const v = optBoolean(o[key]);
    if (v === null) return { error: `${key} must be true or false.` };
    if (v !== undefined) patch[key] = v;
  }
  return { patch };
}

const LABELS: Record<keyof JobDefaults, string> = {
  model: 'model',
  guidance: 'cfg',
  steps: 'steps',
  sampler: 'sampler',
  count: 'count',
  prior: 'prior',
  private: 'private replies',
};

function describeDefaults(d: JobDefaults): string {
  const parts = (Object.keys(LABELS) as (keyof JobDefaults)[])
    .filter((k) => d[k] !== undefined)
    .map((k) => `${LABELS[k]} ${typeof d[k] === 'boolean' ? (d[k] ? 'on' : 'off') : String(d[k])}`);
  return parts.length ? parts.join(', ') : 'none';
}

/** The settings text: yours, the server's, what the next job uses, and the content rules in force here. */
export function showText(store: SettingsApi, ctx: Pick<CommandContext, 'owner' | 'actor' | 'defaultModel'>): string {
  const { user, server } = settingsOf(store, ctx.owner);
  const eff = effectiveDefaults(store, ctx.owner);
  const from = (k: keyof JobDefaults) => (eff[k]?.from === 'user' ? 'yours' : 'server');
  const next = (Object.keys(LABELS) as (keyof JobDefaults)[]).map((k) => {
    const e = eff[k];
    if (e) return `${LABELS[k]} ${typeof e.value === 'boolean' ? (e.value ? 'on' : 'off') : String(e.value)} (${from(k)})`;
    if (k === 'model') return `model ${ctx.defaultModel ?? 'the configured one'} (configured)`;
    if (k === 'private') return 'private replies off';
    if (k === 'prior') return "prior on (where the model has one)";
    if (k === 'count') return 'count 1';
    return `${LABELS[k]} the model's`;
  });
  const lines = [
    `Your defaults: ${describeDefaults(user)}`,
    ctx.owner.serverId ? `Server defaults (set by its admins): ${describeDefaults(server)}` : 'No server here: only your own defaults apply.',
    `Next job: ${next.join(', ')}. An option you give a command always wins.`,
  ];
  const serverRules = ctx.owner.serverId ? (store.get('server', ctx.owner.platform, ctx.owner.serverId).banned ?? []) : [];
  const channelRules = ctx.owner.channelRef ? (store.get('channel', ctx.owner.platform, ctx.owner.channelRef).banned ?? []) : [];
  const count = (n: number) => `${n} entr${n === 1 ? 'y' : 'ies'}`;
  lines.push(`Content rules here: this server ${count(serverRules.length)}, this channel ${count(channelRules.length)} (plus the bot's own).`);
  if (ctx.actor.serverAdmin) {
    if (serverRules.length) lines.push(`Server list (admins only): ${serverRules.join(', ')}`);
    if (channelRules.length) lines.push(`Channel list (admins only): ${channelRules.join(', ')}`);
  }
  lines.push('Change: /settings steps:20 private:true; clear: /settings clear:steps. Admins add scope:server (or scope:channel for banned).');
  return lines.join('\n');
}
