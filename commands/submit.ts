// The shared tail of every technique command: submit a spec input to the engine and turn the
// answer into a CommandReply.
import type { JobSpecInput } from '../src/jobs/api.ts';
import { noPing, queuedText, quoteUserText } from './format.ts';
import { applyDefaults, wantsPrivate } from './job-defaults.ts';
import { optBoolean } from './options.ts';
import { settingsHint } from './settings-hint.ts';
import type { CommandContext, CommandOptions, CommandReply } from './types.ts';

/** Submits a job spec input for ctx.owner, with the owner's /settings filling what the command left out; an engine refusal becomes a 'refusal' reply with its message. `parent`: the job this one starts from (recorded as its parent; a private parent makes the job private). */
export async function submitJob(
  ctx: CommandContext,
  input: JobSpecInput,
  parent?: { jobId: string; private: boolean },
): Promise<CommandReply> {
  const prior = optBoolean(ctx.options.prior);
  if (prior === null) return { kind: 'refusal', message: 'prior must be true or false (on or off).' };
  if (prior !== undefined) input = { ...input, prior };
  const priv = wantsPrivate(ctx.engine, ctx.owner, ctx.options) || parent?.private === true;
  // A private job is stored as such: only its owner sees it (engine reads, follow-ups, /info, /queue).
  const owner = priv ? { ...ctx.owner, private: true } : ctx.owner;
  const res = await ctx.engine.submit(
    applyDefaults(input, ctx.engine, ctx.owner),
    owner,
    parent ? { parentId: parent.jobId } : undefined,
  );
  if (!res.ok) {
    // A value the user's or the server's /settings gave is named, so that it can be changed.
    const hint = res.code === 'invalid_spec' ? settingsHint(res.message, input, ctx.engine, ctx.owner) : '';
    return { kind: 'refusal', message: res.message + hint, code: res.code };
  }
  const reading = await readingOf(ctx, res.spec);
  return {
    kind: 'job',
    jobId: res.jobId,
    position: res.position,
    estimatedWaitMs: res.estimatedWaitMs,
    spec: res.spec,
    text: queuedText(res.jobId, res.position, res.estimatedWaitMs),
    private: priv,
    ...(reading ? { reading } : {}),
  };
}

/** Longest wait for what the model reads in a prompt before the first reply goes without it. */
const READING_WAIT_MS = 2000;

/**
 * What the job's model understands of its prompts, as one line for the first reply (the same words
 * the caption shows when the job is done), or undefined: a model that reads prompts whole, a
 * technique without prompts, or an engine that cannot tell before the job (scale-out).
 */
async function readingOf(ctx: CommandContext, spec: JobSpecInput): Promise<string | undefined> {
  const prompts = [spec.prompt, spec.prompt2].filter((p): p is string => !!p && p.trim() !== '');
  if (prompts.length === 0) return undefined;
  const understood: string[] = [];
  const unknown: string[] = [];
  for (const p of prompts) {
    // At most a moment: the job is queued already, and its first message must not wait for a model that is still loading.
    const r = await Promise.race([
      ctx.engine.understand(p, spec.model).catch(() => null),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), READING_WAIT_MS).unref()),
    ]);
    if (!r?.ok || !r.understanding.concepts) return undefined;
    understood.push(...r.understanding.understood.map((c) => c.label));
    unknown.push(...r.understanding.unknown.filter((w) => !unknown.includes(w)));
  }
  const parts = [`understood: ${understood.length > 0 ? noPing(understood.join(', ')) : 'nothing (the picture will not follow the prompt)'}`];
  if (unknown.length > 0) parts.push(`unknown words: ${unknown.map((w) => quoteUserText(w, 40)).join(', ')}`);
  return parts.join('; ');
}

/** A string option, trimmed; undefined when absent or blank. */
export function optString(options: CommandOptions, name: string): string | undefined {
  const v = options[name];
  if (v === undefined || v === null) return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
}

/** A numeric option; undefined when absent; a string that is not a number stays a string so the engine's validation names it. */
export function optNumber(options: CommandOptions, name: string): number | undefined {
  const v = options[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return v as unknown as number;
}

/** Spreads only the defined entries of `fields` (so absent options fall back to the engine's defaults). */
export function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
