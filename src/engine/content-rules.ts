// Runs in the bot's process (and a scale-out front-end).
// Content rules: banned words or /patterns/ checked against every prompt of every job (prompt,
// second prompt, negative prompt) at engine submit, so new jobs, regenerations and follow-ups
// all pass the same check. Rules come from the configuration (CONTENT_RULES, CONTENT_RULES_FILE)
// for every server, and from the lists a server's admins set with /settings for their server or
// one channel (plain words and phrases only). A refusal never names the rule that matched.
// Every rule runs on the linear-time engine of linear-regex.ts, so no rule and no prompt can
// stall the bot's event loop.
import { readFileSync } from 'node:fs';
import { refusal, type EngineRefusal, type JobOwner } from '../jobs/api.ts';
import type { JobSpec } from '../jobs/spec.ts';
import type { SettingsApi } from '../store/settings-store.ts';
import { compileLinear, compileNode, PatternError, type LinearRegex, type Node } from './linear-regex.ts';

/** Most rules one list may hold, and the longest rule. */
export const MAX_RULES = 200;
export const MAX_RULE_CHARS = 200;

/** What a refused prompt is told (no rule is named). */
export const CONTENT_REFUSAL =
  "That request isn't allowed here: a prompt matches this server's content rules. Change the wording and try again.";

/** A compiled rule: `test` runs in time linear in the text. */
export type Rule = LinearRegex;

const PATTERN = /^\/(.+)\/([a-z]*)$/s;

/** Text as rules see it: Unicode-normalized (NFKC) and lower-cased, so look-alike letters and case don't slip past. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** Whether a rule is written as a /pattern/ rather than a word or phrase. */
export function isPatternRule(rule: string): boolean {
  return PATTERN.test(rule.trim());
}

/**
 * Compiles one rule for the linear-time engine: `/regex/flags` is a regular expression, always
 * case-insensitive (i and u; s and m honoured, g, y and d ignored), without back-references or
 * look-arounds; anything else is a word or phrase matched whole (not inside a longer word),
 * case-insensitive. Throws Error with a message naming the rule for a pattern it cannot run.
 */
export function compileRule(rule: string): Rule {
  const r = rule.trim();
  const m = PATTERN.exec(r);
  if (!m) return compileNode(phraseNode(normalizeText(r)), r);
  const bad = m[2].replace(/[dgimsuy]/g, '');
  if (bad) throw new Error(`${r} has flags the rule engine does not know (${bad}); use i, m, s or u`);
  try {
    return compileLinear(m[1], { dotAll: m[2].includes('s'), multiline: m[2].includes('m') });
  } catch (err) {
    if (err instanceof PatternError) throw new Error(`${r} ${err.message}`);
    throw err;
  }
}

/** A word or phrase as a pattern: its characters literally, runs of white space as \s+, no letter, digit or _ either side. */
function phraseNode(phrase: string): Node {
  const items: Node[] = [{ k: 'assert', kind: 'noLetterBefore' }];
  for (const part of phrase.split(/(\s+)/u)) {
    if (part === '') continue;
    if (/^\s+$/u.test(part)) items.push({ k: 'rep', node: { k: 'char', source: '\\s' }, min: 1, max: Infinity });
    else for (const ch of part) items.push({ k: 'char', source: /[\^$\\.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch });
  }
  items.push({ k: 'assert', kind: 'noLetterAfter' });
  return { k: 'seq', items };
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

/**
 * Checks a list of rules (count, length, valid patterns); the cleaned list, or one message for the
 * admin. With `patterns: false` (lists set in chat) only words and phrases are accepted.
 */
export function validateRules(
  rules: readonly string[],
  options: { patterns?: boolean } = {},
): { ok: true; rules: string[] } | { ok: false; message: string } {
  const clean = [...new Set(rules.map((r) => r.trim()).filter(Boolean))];
  if (clean.length > MAX_RULES) return { ok: false, message: `A list holds at most ${MAX_RULES} entries (got ${clean.length}).` };
  for (const r of clean) {
    if (r.length > MAX_RULE_CHARS) return { ok: false, message: `An entry may be at most ${MAX_RULE_CHARS} characters long.` };
    if (options.patterns === false && isPatternRule(r)) {
      return {
        ok: false,
        message: `${r} is a pattern: lists set here take plain words and phrases only (patterns belong in the bot's configuration, CONTENT_RULES_FILE).`,
      };
    }
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

/** The global rules of the configuration: CONTENT_RULES (comma-separated) plus CONTENT_RULES_FILE (one per line). Throws Error naming the setting and a bad rule, or an unreadable file. */
export function loadGlobalRules(config: { contentRules: string[]; contentRulesFile?: string }): string[] {
  const check = (rules: string[], where: string): void => {
    for (const r of rules) {
      try {
        compileRule(r);
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
      }
    }
  };
  check(config.contentRules, 'CONTENT_RULES');
  const rules = [...config.contentRules];
  if (config.contentRulesFile) {
    let text: string;
    try {
      text = readFileSync(config.contentRulesFile, 'utf8');
    } catch (err) {
      throw new Error(`CONTENT_RULES_FILE ${config.contentRulesFile} cannot be read (${(err as Error).message})`);
    }
    const fromFile = parseRuleList(text);
    check(fromFile, `CONTENT_RULES_FILE ${config.contentRulesFile}`);
    rules.push(...fromFile);
  }
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
      // Stored lists were validated when set (a /pattern/ stored before lists took words only
      // still runs, on the same linear-time engine); a rule that no longer compiles is skipped.
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
