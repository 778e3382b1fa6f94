// Runs in the inference process (answering the bot's content-rule requests) and the CLI.
// Content rules in the terms of the bag-of-words encoder: which of the model's concepts (emoji) a
// banned word or phrase names, and which concepts a prompt makes the model draw. Both come from
// the encoder's own data and lookup (its vocabulary, stopwords, plural stripping, compounds, CJK
// segmentation and `read`), so there is no second list of synonyms to keep in step.
//
// A rule names the concepts whose label, in any of the model's languages, holds all its words
// (each word also as its English singular or plural): "heart" names ❤️ red heart, ♥️ heart suit,
// 💔 broken heart, ...; "skull" names 💀 and ☠️. When no label holds them, the concepts whose label
// and tags (the words the training captions carried beside the name) hold them: "gun" names 🔫
// water pistol (tags gun, handgun, pistol, ...), "fire truck" names 🚒 fire engine (tags engine,
// fire, truck). An emoji in a rule names its own concept (a rule with emoji and words: only those
// emoji). A rule with a word the model does not know names no concept (text matching still
// applies). A prompt's concepts are exactly those the encoder understood (what the coarse prior
// draws, in every language and for emoji glyphs).
import { baseEmoji } from './emoji.ts';
import { IS_WORD, WORD_OR_EMOJI, normKey, type BagOfWordsEncoder } from './bag-of-words.ts';

/** Most rule resolutions kept per index. */
const RULE_CACHE = 2000;

/** English singular and plural candidates of a word, as the encoder strips plurals (and the reverse); words under 4 letters and -ss, -us, -is keep their s. */
function inflections(word: string): string[] {
  const out = [word];
  if (word.length >= 4 && word.endsWith('s') && !/(?:ss|us|is)$/.test(word)) {
    out.push(word.slice(0, -1));
    if (word.endsWith('es')) out.push(word.slice(0, -2));
    if (word.endsWith('ies')) out.push(`${word.slice(0, -3)}y`);
  }
  if (/[a-z]$/.test(word)) {
    out.push(`${word}s`, `${word}es`);
    if (/[^aeiou]y$/.test(word)) out.push(`${word.slice(0, -1)}ies`);
  }
  return out;
}

/** The concepts of one bag-of-words encoder, for content rules. Concepts are emoji without skin tones or variation selectors. */
export class ConceptIndex {
  private readonly emoji: string[] = [];
  private readonly names: Set<number>[] = [];
  private readonly described: Set<number>[] = [];
  private readonly byName = new Map<number, number[]>();
  private readonly byDescription = new Map<number, number[]>();
  private readonly cache = new Map<string, ReadonlySet<string>>();
  private readonly known: Set<string>;

  constructor(private readonly encoder: BagOfWordsEncoder) {
    encoder.conceptList().forEach((c, i) => {
      this.emoji.push(baseEmoji(normKey(c.emoji)));
      const name = new Set(c.tokens);
      const described = new Set([...c.tokens, ...(c.tags ?? [])]);
      this.names.push(name);
      this.described.push(described);
      for (const t of name) push(this.byName, t, i);
      for (const t of described) push(this.byDescription, t, i);
    });
    this.known = new Set(this.emoji);
  }

  /** Whether the model has concepts at all (a bag-of-words encoder without a concept list has none). */
  get size(): number {
    return this.emoji.length;
  }

  /** The concepts a banned word or phrase names (empty when it names none the model knows). */
  conceptsOfRule(rule: string): ReadonlySet<string> {
    const key = normKey(rule.trim());
    let found = this.cache.get(key);
    if (!found) {
      found = this.resolve(key);
      if (this.cache.size >= RULE_CACHE) this.cache.clear();
      this.cache.set(key, found);
    }
    return found;
  }

  /** The concepts the encoder understood in a prompt (what the model is steered to draw). */
  conceptsOfPrompt(prompt: string): Set<string> {
    return new Set(this.encoder.read(prompt).understood.map((u) => baseEmoji(normKey(u.emoji ?? u.label))));
  }

  /** The concepts of `prompts` that the rules name: the prompts' understood concepts that a rule names. */
  banned(prompts: readonly string[], rules: readonly string[]): string[] {
    if (this.size === 0 || rules.length === 0) return [];
    const named = new Set<string>();
    for (const r of rules) for (const e of this.conceptsOfRule(r)) named.add(e);
    const hits = new Set<string>();
    for (const p of prompts) for (const e of this.conceptsOfPrompt(p)) if (named.has(e)) hits.add(e);
    return [...hits];
  }

  private resolve(rule: string): ReadonlySet<string> {
    const groups: number[][] = [];
    const glyphs = new Set<string>();
    for (const m of rule.matchAll(WORD_OR_EMOJI)) {
      const piece = m[0];
      if (!IS_WORD.test(piece)) {
        glyphs.add(baseEmoji(piece));
        continue;
      }
      if (this.encoder.isStopword(piece)) continue;
      const ids = new Set<number>();
      for (const w of inflections(piece)) {
        const id = this.encoder.tokenId(w);
        if (id !== undefined) ids.add(id);
      }
      if (ids.size > 0) {
        groups.push([...ids]);
        continue;
      }
      // A compound or a CJK run the encoder splits into known words: each one is needed.
      const { tokens, unknown } = this.encoder.tokenize(piece);
      if (tokens.length === 0 || unknown.length > 0) return new Set(); // a word the model does not know
      for (const t of tokens) groups.push([t]);
    }
    // An emoji in a rule names its own concept; a rule that mixes emoji and words names only those emoji.
    const out = new Set<string>([...glyphs].filter((g) => this.known.has(g)));
    if (groups.length === 0 || glyphs.size > 0) return out;
    let hits = this.entriesWith(groups, this.byName, this.names);
    if (hits.length === 0) hits = this.entriesWith(groups, this.byDescription, this.described);
    for (const i of hits) out.add(this.emoji[i]);
    return out;
  }

  /** The entries whose word set holds, for every group, one of its ids. */
  private entriesWith(groups: number[][], index: Map<number, number[]>, sets: Set<number>[]): number[] {
    const first = new Set(groups[0].flatMap((t) => index.get(t) ?? []));
    return [...first].filter((i) => groups.every((g) => g.some((t) => sets[i].has(t))));
  }
}

function push(map: Map<number, number[]>, key: number, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
