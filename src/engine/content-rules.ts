// Runs in the bot's process (and a scale-out front-end).
// Content rules: banned words or /patterns/ checked against every prompt of every job (prompt,
// second prompt, negative prompt) at engine submit, so new jobs, regenerations and follow-ups
// all pass the same check. Rules come from the configuration (CONTENT_RULES, CONTENT_RULES_FILE)
// for every server, and from the lists a server's admins set with /settings for their server or
// one channel (plain words and phrases only). A refusal never names the rule that matched.
// Every rule runs on the linear-time engine of linear-regex.ts, so no rule and no prompt can
// stall the bot's event loop. Text is normalised as rule-text.ts says (NFKC, default-ignorable
// code points removed, Latin look-alikes folded, `_`, dashes and camelCase split, plurals folded).
// Words and phrases also apply to the concepts the model understood (checkConcepts): the model's
// own prompt encoder, in the inference process, says which concepts a prompt and a rule name.
import { readFileSync } from 'node:fs';
import { refusal, type EngineRefusal, type JobOwner } from '../jobs/api.ts';
import type { JobSpec } from '../jobs/spec.ts';
import type { ConceptLookup } from '../inference/concept-client.ts';
import type { SettingsApi } from '../store/settings-store.ts';
import { compileLinear, compileNode, PatternError, type LinearRegex } from './linear-regex.ts';
import { phraseNode, plainForm, ruleForm, textForms, type TextForms } from './rule-text.ts';

/** Most rules one list may hold, and the longest rule. */
export const MAX_RULES = 200;
export const MAX_RULE_CHARS = 200;

/** What a refused prompt is told (no rule is named). */
export const CONTENT_REFUSAL =
  "That request isn't allowed here: a prompt matches this server's content rules. Change the wording and try again.";

/** A compiled rule: `test` runs in time linear in the text (each of its forms, see rule-text.ts). */
export interface Rule {
  readonly source: string;
  /** A word or phrase (it also applies to the concepts it names), not a /pattern/. */
  readonly word: boolean;
  /** Whether the rule matches the text (normalised here). */
  test(text: string): boolean;
  /** Whether the rule matches one of the text's forms (textForms). */
  testForms(forms: TextForms): boolean;
}

const PATTERN = /^\/(.+)\/([a-z]*)$/s;

/** Text as /patterns/ have always seen it: Unicode-normalized (NFKC) and lower-cased. Rules also see the folded forms of rule-text.ts. */
export function normalizeText(text: string): string {
  return plainForm(text);
}

/** Whether a rule is written as a /pattern/ rather than a word or phrase. */
export function isPatternRule(rule: string): boolean {
  return PATTERN.test(rule.trim());
}

/**
 * Compiles one rule for the linear-time engine: `/regex/flags` is a regular expression, always
 * case-insensitive (i and u; s and m honoured, g, y and d ignored), without back-references or
 * look-arounds, matched against the plain and the folded forms of the text; anything else is a
 * word or phrase matched whole (not inside a longer word), case-insensitive, on the folded forms,
 * with the English plural or singular of each word. Throws Error with a message naming the rule
 * for a pattern it cannot run.
 */
export function compileRule(rule: string): Rule {
  const r = rule.trim();
  const m = PATTERN.exec(r);
  if (!m) return ruleOf(r, true, compilePhrase(r));
  const bad = m[2].replace(/[dgimsuy]/g, '');
  if (bad) throw new Error(`${r} has flags the rule engine does not know (${bad}); use i, m, s or u`);
  try {
    return ruleOf(
      r,
      false,
      compileLinear(m[1], { dotAll: m[2].includes('s'), multiline: m[2].includes('m') }),
    );
  } catch (err) {
    if (err instanceof PatternError) throw new Error(`${r} ${err.message}`);
    throw err;
  }
}

/** A phrase with its plural forms; literally when those make it too large for the engine. */
function compilePhrase(r: string): LinearRegex {
  const phrase = ruleForm(r);
  try {
    return compileNode(phraseNode(phrase), r);
  } catch (err) {
    if (!(err instanceof PatternError)) throw err;
    return compileNode(phraseNode(phrase, false), r);
  }
}

function ruleOf(source: string, word: boolean, re: LinearRegex): Rule {
  // A word or phrase is written in the folded form and matched on the folded forms; a pattern on all.
  const testForms = (f: TextForms): boolean =>
    f.folded.some((t) => re.test(t)) || (!word && !f.folded.includes(f.plain) && re.test(f.plain));
  return { source, word, test: (text) => testForms(textForms(text)), testForms };
}

/** Splits a list of rules written by a person: one per line, or comma-separated; `#` starts a comment line. Patterns may not contain commas unless given one per line. */
export function parseRuleList(text: string): string[] {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: string[] = [];
  for (const line of lines) {
    if (/^\/.+\/[a-z]*$/s.test(line)) out.push(line);
    else
      out.push(
        ...line
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
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
  if (clean.length > MAX_RULES)
    return { ok: false, message: `A list holds at most ${MAX_RULES} entries (got ${clean.length}).` };
  for (const r of clean) {
    if (r.length > MAX_RULE_CHARS)
      return { ok: false, message: `An entry may be at most ${MAX_RULE_CHARS} characters long.` };
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
  const forms = textForms(text);
  return rules.some((r) => r.testForms(forms));
}

/** The prompts of a spec that rules are checked against. */
export function promptsOf(spec: Pick<JobSpec, 'prompt' | 'prompt2' | 'negative'>): string[] {
  return [spec.prompt, spec.prompt2, spec.negative].filter(
    (p): p is string => typeof p === 'string' && p !== '',
  );
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
      throw new Error(
        `CONTENT_RULES_FILE ${config.contentRulesFile} cannot be read (${(err as Error).message})`,
      );
    }
    const fromFile = parseRuleList(text);
    check(fromFile, `CONTENT_RULES_FILE ${config.contentRulesFile}`);
    rules.push(...fromFile);
  }
  return rules;
}

const UNAVAILABLE = (): EngineRefusal =>
  refusal('unavailable', "I can't check this server's content rules right now; try again later.");

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

  /** The refusal for a spec whose prompts match a rule in force for `owner` (as text), else null. */
  check(spec: Pick<JobSpec, 'prompt' | 'prompt2' | 'negative'>, owner: JobOwner): EngineRefusal | null {
    const prompts = promptsOf(spec);
    if (prompts.length === 0) return null;
    const rules = this.rulesFor(owner);
    if (!rules) return UNAVAILABLE();
    if (rules.length === 0) return null;
    return prompts.some((p) => matchesAny(rules, p)) ? refusal('content_rule', CONTENT_REFUSAL) : null;
  }

  /**
   * The refusal for a spec whose prompts make the model draw a concept that a word or phrase in
   * force for `owner` names, asked of the process that has the model (`lookup`), else null. A
   * model without concepts (CLIP-encoded) answers none. No answer: refused, as unreadable rules
   * are, and `onError` is told why.
   */
  async checkConcepts(
    spec: Pick<JobSpec, 'prompt' | 'prompt2' | 'negative' | 'model'>,
    owner: JobOwner,
    lookup: ConceptLookup,
    onError?: (error: string) => void,
  ): Promise<EngineRefusal | null> {
    const prompts = promptsOf(spec);
    if (prompts.length === 0) return null;
    const words = this.wordsFor(owner);
    if (!words) return UNAVAILABLE();
    if (words.length === 0) return null;
    const answer = await lookup(spec.model, prompts, words);
    if (!answer.ok) {
      onError?.(answer.error);
      return UNAVAILABLE();
    }
    return answer.banned.length > 0 ? refusal('content_rule', CONTENT_REFUSAL) : null;
  }

  /** The words and phrases in force for `owner` (the rules that also apply to concepts); null when the settings cannot be read. */
  wordsFor(owner: JobOwner): string[] | null {
    const rules = this.rulesFor(owner);
    return rules && [...new Set(rules.filter((r) => r.word).map((r) => r.source))];
  }

  /** The rules in force for `owner`: global, its server's and its channel's; null when the settings cannot be read. */
  private rulesFor(owner: JobOwner): Rule[] | null {
    try {
      return [
        ...this.global,
        ...this.listOf('server', owner.platform, owner.serverId),
        ...this.listOf('channel', owner.platform, owner.channelRef),
      ];
    } catch {
      // The settings store cannot be read: refuse rather than let a prompt past rules it cannot see.
      return null;
    }
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
