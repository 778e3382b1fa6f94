// Content rules: banned words or /patterns/ checked against every prompt of every job (prompt,
// second prompt, negative prompt) at engine submit, so new jobs, regenerations and follow-ups
// all pass the same check. Rules come from the configuration (CONTENT_RULES, CONTENT_RULES_FILE)
// for every server, and from the lists a server's admins set with /settings for their server or
// one channel. A refusal never names the rule that matched.
import { readFileSync } from 'node:fs';
import { refusal, type EngineRefusal, type JobOwner } from '../jobs/api.ts';
import type { JobSpec } from '../jobs/spec.ts';
import type { SettingsApi } from '../store/settings-store.ts';

/** Most rules one list may hold, and the longest rule. */
export const MAX_RULES = 200;
export const MAX_RULE_CHARS = 200;

/** What a refused prompt is told (no rule is named). */
export const CONTENT_REFUSAL =
  "That request isn't allowed here: a prompt matches this server's content rules. Change the wording and try again.";

/** A group with a quantifier inside that is itself quantified, e.g. (a+)+ or (\w*x)*: catastrophic backtracking. */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*(?:[+*]|\{\d+,\d*\})(?:[^()\\]|\\.)*\)(?:[+*]|\{\d+,\d*\})/;

/** A compiled rule. */
type Rule = RegExp;

/** Text as rules see it: Unicode-normalized (NFKC) and lower-cased, so look-alike letters and case don't slip past. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/**
 * Compiles one rule: `/regex/flags` is a regular expression, always case-insensitive (the i and
 * u flags are added); anything else is a word or phrase matched whole (not inside a longer word),
 * case-insensitive. Throws Error with a message for a bad regex.
 */
export function compileRule(rule: string): Rule {
  const r = rule.trim();
  const m = /^\/(.+)\/([a-z]*)$/s.exec(r);
  if (m) {
    if (NESTED_QUANTIFIER.test(m[1]) || /\\[1-9]|\\k</.test(m[1])) {
      throw new Error(`${r} repeats a group that itself repeats, or refers back to a group: such patterns can take very long on some prompts; write it more simply`);
    }
    const flags = [...new Set(`${m[2]}iu`.replace(/[gy]/g, ''))].join('');
    try {
      return new RegExp(m[1], flags);
    } catch (err) {
      throw new Error(`${r} is not a valid pattern (${(err as Error).message})`);
    }
  }
  const escaped = normalizeText(r).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
  return new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'iu');
}

/** Splits a list of rules written by a person: one per line, or comma-separated; `#` starts a comment line. Patterns may not contain commas unless given one per line. */
export function parseRuleList(text: string): string[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const out: string[] = [];
  for (const line of lines) {
    if (/^\/.+\/[a-z]*$/s.test(line)) out.push(line);
    else out.push(...line.split(',').map((s) => s.trim()).filter(Boolean));
  }
  return out;
}

/** Checks a list of rules (count, length, valid patterns); the cleaned list, or one message for the admin. */
export function validateRules(rules: readonly string[]): { ok: true; rules: string[] } | { ok: false; message: string } {
  const clean = [...new Set(rules.map((r) => r.trim()).filter(Boolean))];
  if (clean.length > MAX_RULES) return { ok: false, message: `A list holds at most ${MAX_RULES} entries (got ${clean.length}).` };
  for (const r of clean) {
    if (r.length > MAX_RULE_CHARS) return { ok: false, message: `An entry may be at most ${MAX_RULE_CHARS} characters long.` };
    try {
      compileRule(r);
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
  }
  return { ok: true, rules: clean };
}

/** Whether any rule matches `text`. */
export function matchesAny(rules: readonly Rule[], text: string): boolean {
  const t = normalizeText(text);
  return rules.some((r) => r.test(t));
}

/** The prompts of a spec that rules are checked against. */
export function promptsOf(spec: Pick<JobSpec, 'prompt' | 'prompt2' | 'negative'>): string[] {
  return [spec.prompt, spec.prompt2, spec.negative].filter((p): p is string => typeof p === 'string' && p !== '');
}

/** The global rules of the configuration: CONTENT_RULES (comma-separated) plus CONTENT_RULES_FILE (one per line). Throws Error naming a bad rule or an unreadable file. */
export function loadGlobalRules(config: { contentRules: string[]; contentRulesFile?: string }): string[] {
  const rules = [...config.contentRules];
  if (config.contentRulesFile) {
    let text: string;
    try {
      text = readFileSync(config.contentRulesFile, 'utf8');
    } catch (err) {
      throw new Error(`CONTENT_RULES_FILE ${config.contentRulesFile} cannot be read (${(err as Error).message})`);
    }
    rules.push(...parseRuleList(text));
  }
  for (const r of rules) compileRule(r);
  return rules;
}

/** The rules in force for one owner: global, plus its server's and its channel's lists (from settings). */
export class ContentRules {
  private readonly global: Rule[];
  private readonly cache = new Map<string, Rule[]>();

  constructor(
    globalRules: readonly string[],
    private readonly settings: SettingsApi | null,
  ) {
    this.global = globalRules.map(compileRule);
  }

  /** The refusal for a spec whose prompts match a rule in force for `owner`, else null. */
  check(spec: Pick<JobSpec, 'prompt' | 'prompt2' | 'negative'>, owner: JobOwner): EngineRefusal | null {
    const prompts = promptsOf(spec);
    if (prompts.length === 0) return null;
    let rules: Rule[];
    try {
      rules = [...this.global, ...this.listOf('server', owner.platform, owner.serverId), ...this.listOf('channel', owner.platform, owner.channelRef)];
    } catch {
      // The settings store cannot be read: refuse rather than let a prompt past rules it cannot see.
      return refusal('unavailable', "I can't check this server's content rules right now; try again later.");
    }
    if (rules.length === 0) return null;
    return prompts.some((p) => matchesAny(rules, p)) ? refusal('content_rule', CONTENT_REFUSAL) : null;
  }

  private listOf(scope: 'server' | 'channel', platform: string, id: string | undefined): Rule[] {
    if (!id || !this.settings) return [];
    const list = this.settings.get(scope, platform, id).banned ?? [];
    if (list.length === 0) return [];
    const key = JSON.stringify(list);
    let compiled = this.cache.get(key);
    if (!compiled) {
      // Stored lists were validated when set; a rule that no longer compiles is skipped.
      compiled = list.flatMap((r) => {
        try {
          return [compileRule(r)];
        } catch {
          return [];
        }
      });
      if (this.cache.size > 500) this.cache.clear();
      this.cache.set(key, compiled);
    }
    return compiled;
  }
}
