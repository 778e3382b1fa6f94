// Text command lines for platforms without typed options (Slack, the playground, the CLI):
//   /imagine a rocket ship --seed 3 --cfg 5      imagine a rocket ship seed:3
//   /anagram an old man | a campfire --view rotate180
// Positional text fills the command's required text options in order ('|' separates them);
// `--name value`, `--name=value` and `name:value` set any option. A text option's value runs
// to the next option (or is one "quoted" string); other options take one word.
import type { CommandOptions, CommandSpec, OptionSpec } from './types.ts';
import { usage } from './help.ts';
import { JOB_OPTION, jobStandsIn } from './options.ts';
import { characterCount } from '../src/jobs/prompt-text.ts';

/** Parsed options, or one message for the user. `missingImages` names required image options the adapter must fill from attachments. */
export type TextArgsResult = { ok: true; options: CommandOptions; missingImages: string[] } | { ok: false; error: string };

interface Token {
  value: string;
  quoted: boolean;
}

const QUOTES: Record<string, string> = { '"': '"', '“': '”', '„': '“', '«': '»' };

/** Splits text into words; a word starting with a double quote runs to the closing quote. */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) break;
    const close = QUOTES[text[i]];
    if (close) {
      const end = text.indexOf(close, i + 1);
      if (end > i) {
        out.push({ value: text.slice(i + 1, end), quoted: true });
        i = end + 1;
        continue;
      }
    }
    let j = i;
    while (j < text.length && !/\s/.test(text[j])) j++;
    out.push({ value: text.slice(i, j), quoted: false });
    i = j;
  }
  return out;
}

/** Splits "/imagine a rocket" or "imagine a rocket" into the command name and the rest. */
export function splitCommandLine(line: string): { name: string; rest: string } | null {
  const m = /^\s*\/?([A-Za-z][\w-]*)(?:\s+([\s\S]*))?$/.exec(line);
  if (!m) return null;
  return { name: m[1].toLowerCase(), rest: (m[2] ?? '').trim() };
}

const norm = (s: string) => s.toLowerCase().replace(/-/g, '_');

function findOption(spec: CommandSpec, name: string): OptionSpec | undefined {
  const n = norm(name);
  return spec.options.find((o) => norm(o.name) === n);
}

/** If the token starts an option ("--seed", "--seed=3", "—seed", "seed:3", "seed:"), its option and inline value. */
function optionMarker(spec: CommandSpec, tok: Token): { option?: OptionSpec; name: string; inline?: string } | null {
  if (tok.quoted) return null;
  const dash = /^(?:--|—|–)([A-Za-z][\w-]*)(?:=([\s\S]*))?$/.exec(tok.value);
  if (dash) return { option: findOption(spec, dash[1]), name: dash[1], inline: dash[2] };
  const colon = /^([A-Za-z][\w-]*)[:=]([\s\S]*)$/.exec(tok.value);
  if (colon) {
    const option = findOption(spec, colon[1]);
    if (option) return { option, name: colon[1], inline: colon[2] === '' ? undefined : colon[2] };
  }
  return null;
}

/** Whether `o` is the job id that stands in for an image (sketch, inpaint): one word, never positional. */
function jobReference(spec: CommandSpec, o: OptionSpec): boolean {
  return o.name === JOB_OPTION && spec.options.some((x) => jobStandsIn(spec, x));
}

/** Whether an option's value is free text that runs to the next option. */
function freeText(spec: CommandSpec, o: OptionSpec): boolean {
  return o.type === 'string' && !o.choices && !jobReference(spec, o);
}

/** Options that positional text fills: the required free-text options, else the first free-text option, else the first string option with choices ("/help sketch"). */
function positionalSlots(spec: CommandSpec): OptionSpec[] {
  const strings = spec.options.filter((o) => o.type === 'string' && !jobReference(spec, o));
  const text = strings.filter((o) => freeText(spec, o));
  const required = text.filter((o) => o.required);
  if (required.length > 0) return required;
  return text.length > 0 ? text.slice(0, 1) : strings.slice(0, 1);
}

/** Parses the text after the command name into options by the command's spec; values are checked by coerceOptions. */
export function parseTextArgs(text: string, spec: CommandSpec): TextArgsResult {
  const tokens = tokenize(text);
  const raw: Record<string, string | boolean> = {};
  const positional: string[] = [];
  let i = 0;
  while (i < tokens.length) {
    const tok = tokens[i];
    const marker = optionMarker(spec, tok);
    if (!marker) {
      positional.push(tok.value);
      i++;
      continue;
    }
    const o = marker.option;
    if (!o) {
      const names = spec.options.map((x) => x.name).join(', ') || 'none';
      return { ok: false, error: `/${spec.name} has no option "${marker.name}". Its options: ${names}.` };
    }
    if (o.name in raw) return { ok: false, error: `${o.name} is given twice.` };
    if (o.type === 'image') return { ok: false, error: `${o.name} is an image: attach a file instead of typing it.` };
    i++;
    if (marker.inline !== undefined) {
      const words = [marker.inline];
      if (freeText(spec, o)) while (i < tokens.length && !optionMarker(spec, tokens[i])) words.push(tokens[i++].value);
      raw[o.name] = words.join(' ');
      continue;
    }
    if (o.type === 'boolean') {
      const next = tokens[i];
      if (next && /^(true|false|yes|no|on|off)$/i.test(next.value)) {
        raw[o.name] = next.value;
        i++;
      } else raw[o.name] = true;
      continue;
    }
    const next = tokens[i];
    if (!next || optionMarker(spec, next)) return { ok: false, error: `${o.name} needs a value, e.g. ${example(o)}.` };
    if (freeText(spec, o) && !next.quoted) {
      const words: string[] = [];
      while (i < tokens.length && !optionMarker(spec, tokens[i])) words.push(tokens[i++].value);
      raw[o.name] = words.join(' ');
    } else {
      raw[o.name] = next.value;
      i++;
    }
  }

  const slots = positionalSlots(spec).filter((o) => !(o.name in raw));
  const joined = positional.join(' ').trim();
  if (joined !== '') {
    if (slots.length === 0) return { ok: false, error: `/${spec.name} takes no free text ("${cut(joined)}"). Usage: ${usage(spec)}` };
    const parts = slots.length > 1 ? joined.split('|').map((s) => s.trim()) : [joined];
    if (parts.length > slots.length) {
      return { ok: false, error: `/${spec.name} takes ${slots.length} text part${slots.length === 1 ? '' : 's'} but got ${parts.length}. Usage: ${usage(spec)}` };
    }
    if (parts.length < slots.length && slots.length > 1 && slots.every((s) => s.required)) {
      return {
        ok: false,
        error: `/${spec.name} needs ${slots.length} prompts separated by |, e.g. /${spec.name} an old man | a campfire`,
      };
    }
    parts.forEach((p, k) => {
      if (p !== '') raw[slots[k].name] = p;
    });
  }
  const coerced = coerceOptions(spec, raw);
  if (!coerced.ok) return coerced;
  return coerced;
}

/** Checks and converts option values (strings from text or forms) by the spec: types, ranges, choices, lengths, required options. */
export function coerceOptions(spec: CommandSpec, raw: Record<string, unknown>): TextArgsResult {
  const options: CommandOptions = {};
  const missingImages: string[] = [];
  for (const o of spec.options) {
    const v = raw[o.name];
    if (v === undefined || v === null || v === '') {
      if (o.required) {
        // An earlier result (job:<id>) stands in for the image.
        if (jobStandsIn(spec, o) && raw[JOB_OPTION] !== undefined && raw[JOB_OPTION] !== '') continue;
        if (o.type === 'image') missingImages.push(o.name);
        else return { ok: false, error: `/${spec.name} needs ${o.name} (${o.description}). Usage: ${usage(spec)}` };
      }
      continue;
    }
    const r = coerceOne(o, v);
    if (typeof r === 'object') return { ok: false, error: r.error };
    options[o.name] = r;
  }
  for (const k of Object.keys(raw)) {
    if (!spec.options.some((o) => o.name === k)) return { ok: false, error: `/${spec.name} has no option "${k}".` };
  }
  return { ok: true, options, missingImages };
}

function coerceOne(o: OptionSpec, v: unknown): string | number | boolean | { error: string } {
  const s = typeof v === 'string' ? v.trim() : v;
  switch (o.type) {
    case 'integer':
    case 'number': {
      const n = typeof s === 'number' ? s : typeof s === 'string' && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) ? Number(s) : NaN;
      if (!Number.isFinite(n)) return { error: `${o.name} must be a number (got "${cut(String(v))}").` };
      if (o.type === 'integer' && !Number.isInteger(n)) return { error: `${o.name} must be a whole number (got ${n}).` };
      if ((o.min !== undefined && n < o.min) || (o.max !== undefined && n > o.max)) {
        return { error: `${o.name} must be between ${o.min ?? '-∞'} and ${o.max ?? '∞'} (got ${n}).` };
      }
      return matchChoice(o, n);
    }
    case 'boolean': {
      if (typeof s === 'boolean') return s;
      if (typeof s === 'string' && /^(true|yes|on|1)$/i.test(s)) return true;
      if (typeof s === 'string' && /^(false|no|off|0)$/i.test(s)) return false;
      return { error: `${o.name} must be true or false (got "${cut(String(v))}").` };
    }
    case 'image':
      if (typeof s !== 'string') return { error: `${o.name} must be an attached image.` };
      return s;
    case 'string': {
      const str = String(s);
      const n = o.maxLength !== undefined && str.length > o.maxLength ? characterCount(str) : 0;
      if (o.maxLength !== undefined && n > o.maxLength) return { error: `${o.name} is too long: ${n} characters (at most ${o.maxLength}).` };
      return matchChoice(o, str);
    }
  }
}

function matchChoice<T extends string | number>(o: OptionSpec, v: T): T | string | number | { error: string } {
  if (!o.choices) return v;
  const hit = o.choices.find((c) => c.value === v || (typeof v === 'string' && (norm(String(c.value)) === norm(v) || c.name.toLowerCase() === v.toLowerCase())));
  if (hit) return hit.value;
  return { error: `${o.name} must be one of ${o.choices.map((c) => c.value).join(', ')} (got "${cut(String(v))}").` };
}

function example(o: OptionSpec): string {
  if (o.choices) return `--${o.name} ${o.choices[0].value}`;
  if (o.type === 'integer' || o.type === 'number') return `--${o.name} ${o.default ?? o.min ?? 1}`;
  return `--${o.name} "some text"`;
}

function cut(s: string, n = 40): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
