// Runs in the inference process and the CLI.
// Phrase-level prompt understanding of the bag-of-words encoder: which of the model's concepts
// (emoji names and keywords in its languages) a prompt names, and how much each one weighs.
//
//   1. Words are compared by a stem key (English plurals folded) and tried in simple inflected
//      forms (snowy -> snow, sleeping -> sleep, wolves -> wolf).
//   2. The prompt's language is the concepts' language that knows most of its words; concepts of
//      other languages answer only words it does not know ("beer" is 🍺, not Dutch 🐻).
//   3. Phrases first: a concept whose whole name (or at least 2 words and half of it) lies within
//      a short window of the prompt ("birthday cake", "old man", "snowy mountain" -> 🏔️
//      snow-capped mountain), longest first. Then each word left takes its best concept by
//      name or keyword ("puppy" -> 🐶), unless a chosen concept already names it ("hot coffee").
//   4. Roles: the prompt splits at prepositions, "and", and participles after a noun ("a dragon
//      breathing fire"); "X of Y" drops X when X is a measure or picture word without a concept of
//      its own ("a cup of", "an oil painting of"). In the main part, the last concept is the head
//      (weight 1); an earlier one that is a name or a phrase weighs 0.25 ("school bus": 🚌 1, 🏫 0.25)
//      and a modifier known only as a keyword is dropped ("a happy puppy": "happy"). The head of
//      an attached part weighs 0.5 ("with candles"); parts joined by "and" are main parts.
import type { UnderstoodConcept } from '../types.ts';
import { COORD, MEASURE, stemKey, wordForms } from './word-forms.ts';

/** A concept entry as the matcher sees it: one emoji in one language. */
export interface MatchEntry {
  emoji: string;
  label: string;
  locale?: string;
  /** The name's words. */
  words: readonly string[];
  /** Keyword words. */
  tags: readonly string[];
}

/** One piece of a prompt, in order. */
export type PromptPiece =
  | { kind: 'word'; text: string; forms: readonly string[] }
  | { kind: 'emoji'; text: string; entry: number }
  | { kind: 'break'; text: string };

/** A known word that names nothing drawn, and why. */
export interface DroppedWord {
  word: string;
  why: 'modifier' | 'measure' | 'no concept';
}

export const HEAD_WEIGHT = 1;
export const ATTACHED_WEIGHT = 0.5;
export const MODIFIER_WEIGHT = 0.25;
const MAX_CONCEPTS = 6;

/** An entry that has a word (by its key) in its name and/or its keywords. */
interface Hit {
  entry: number;
  inLabel: boolean;
  inTag: boolean;
}

interface Pick {
  entry: number;
  positions: number[];
  whole: boolean;
}

/** The understanding of one prompt. */
export interface PhraseReading {
  understood: UnderstoodConcept[];
  dropped: DroppedWord[];
}

/** Matches prompt pieces to concept entries (see the file header). */
export class PhraseMatcher {
  /** Per word key, its entries packed as entry * 4 + (in name: 1) + (in keywords: 2). */
  private readonly index = new Map<string, number[]>();
  private readonly labelKeys: string[][];
  private readonly order: string[];

  constructor(private readonly entries: readonly MatchEntry[]) {
    this.labelKeys = entries.map((e) => [...new Set(e.words.map(stemKey))]);
    const locales: string[] = [];
    entries.forEach((e, i) => {
      if (e.locale !== undefined && !locales.includes(e.locale)) locales.push(e.locale);
      const local = new Map<string, number>();
      for (const w of e.words) local.set(stemKey(w), (local.get(stemKey(w)) ?? 0) | 1);
      for (const t of e.tags) local.set(stemKey(t), (local.get(stemKey(t)) ?? 0) | 2);
      for (const [k, flags] of local) {
        const list = this.index.get(k);
        if (list) list.push(i * 4 + flags);
        else this.index.set(k, [i * 4 + flags]);
      }
    });
    this.order = locales;
  }

  /** The entries with a word key in their name or keywords. */
  private hits(key: string): Hit[] {
    return (this.index.get(key) ?? []).map((v) => ({ entry: v >> 2, inLabel: (v & 1) !== 0, inTag: (v & 2) !== 0 }));
  }

  /** Whether any concept names or describes a word (in any of its forms). */
  knows(word: string): boolean {
    return wordForms(word).some((f) => this.index.has(stemKey(f)));
  }

  /** The key a word matches by: its first form any concept knows, or undefined. */
  private keyOf(forms: readonly string[]): string | undefined {
    return this.formOf(forms) === undefined ? undefined : stemKey(this.formOf(forms)!);
  }

  /** The first form of a word that any concept knows. */
  private formOf(forms: readonly string[]): string | undefined {
    return forms.find((f) => this.index.has(stemKey(f)));
  }

  read(pieces: readonly PromptPiece[]): PhraseReading {
    // Content positions and the segment each one is in.
    const keys: (string | undefined)[] = [];
    const texts: string[] = [];
    const emojiEntry: (number | undefined)[] = [];
    const formAt: (string | undefined)[] = [];
    /** Per position: how many "and"s come before it (a name never spans one: "a rocket and a ship"). */
    const clause: number[] = [];
    let clauses = 0;
    const segOf: number[] = [];
    const segs: { rel: 'main' | 'attach' | 'and' | 'of'; positions: number[] }[] = [{ rel: 'main', positions: [] }];
    for (const p of pieces) {
      const seg = segs[segs.length - 1];
      if (p.kind === 'break') {
        const rel = p.text === 'of' ? 'of' : COORD.has(p.text) ? 'and' : 'attach';
        if (rel === 'and') clauses++;
        if (seg.positions.length > 0 || rel !== 'attach') segs.push({ rel, positions: [] });
        continue;
      }
      // A participle after a noun starts an attached part ("a dragon breathing fire").
      if (
        p.kind === 'word' &&
        /ing$/u.test(p.text) &&
        p.text.length > 5 &&
        seg.positions.length > 0 &&
        !MEASURE.has(p.text) &&
        !this.namesAlone(p.forms)
      ) {
        segs.push({ rel: 'attach', positions: [] });
        texts.push(p.text);
        clause.push(clauses);
        formAt.push(undefined);
        keys.push(undefined);
        emojiEntry.push(undefined);
        segOf.push(-1);
        continue;
      }
      const pos = keys.length;
      texts.push(p.text);
      clause.push(clauses);
      keys.push(p.kind === 'word' ? this.keyOf(p.forms) : undefined);
      formAt.push(p.kind === 'word' ? this.formOf(p.forms) : undefined);
      emojiEntry.push(p.kind === 'emoji' ? p.entry : undefined);
      segOf.push(segs.length - 1);
      segs[segs.length - 1].positions.push(pos);
    }
    const dominant = this.dominantLocale(keys);
    const eligible = (entry: number, key: string) => {
      const loc = this.entries[entry].locale;
      if (dominant === undefined || loc === undefined || loc === dominant) return true;
      return !this.hits(key).some((h) => this.entries[h.entry].locale === dominant);
    };

    // Phrases: whole names first, then names of which at least 2 words and half are present.
    const candidates = new Set<number>();
    keys.forEach((k) => {
      if (k) for (const h of this.hits(k)) if (h.inLabel && eligible(h.entry, k)) candidates.add(h.entry);
    });
    const phrases: (Pick & { n: number })[] = [];
    for (const entry of candidates) {
      const m = this.phraseMatch(entry, keys);
      if (m && m.positions.every((p) => clause[p] === clause[m.positions[0]])) phrases.push(m);
    }
    emojiEntry.forEach((e, pos) => {
      if (e !== undefined) phrases.push({ entry: e, positions: [pos], whole: true, n: 2 });
    });
    phrases.sort(
      (a, b) =>
        b.n - a.n ||
        Number(b.whole) - Number(a.whole) ||
        this.rank(a.entry, dominant) - this.rank(b.entry, dominant) ||
        a.entry - b.entry,
    );
    const taken = new Map<number, Pick>();
    const picks: Pick[] = [];
    const chosenEmoji = new Set<string>();
    for (const ph of phrases) {
      if (ph.positions.some((p) => taken.has(p))) continue;
      if (chosenEmoji.has(this.entries[ph.entry].emoji)) {
        for (const p of ph.positions) taken.set(p, picks.find((x) => this.entries[x.entry].emoji === this.entries[ph.entry].emoji)!);
        continue;
      }
      picks.push(ph);
      chosenEmoji.add(this.entries[ph.entry].emoji);
      for (const p of ph.positions) taken.set(p, ph);
    }

    // Measure and picture words before "of" without a concept of their own: their part is dropped.
    const dropped: DroppedWord[] = [];
    const droppedSeg = new Set<number>();
    segs.forEach((s, si) => {
      const next = segs[si + 1];
      const last = s.positions.at(-1);
      if (!next || next.rel !== 'of' || last === undefined) return;
      if (!MEASURE.has(texts[last]) && !MEASURE.has(stemKey(texts[last]))) return;
      // Kept where a name of several words holds it (🍷 wine glass), not a one-word name (👓 glasses).
      if (taken.has(last) && taken.get(last)!.positions.length > 1) return;
      droppedSeg.add(si);
      next.rel = s.rel;
    });
    // "X of Y" otherwise reads as one part.
    for (let si = segs.length - 1; si > 0; si--) {
      if (segs[si].rel === 'of' && !droppedSeg.has(si - 1)) {
        for (const p of segs[si].positions) segOf[p] = si - 1;
        segs[si - 1].positions.push(...segs[si].positions);
        segs[si].positions = [];
      }
    }
    for (const si of droppedSeg) {
      for (const p of segs[si].positions) {
        const pick = taken.get(p);
        if (pick && !pick.positions.every((q) => droppedSeg.has(segOf[q]))) continue;
        if (pick) {
          picks.splice(picks.indexOf(pick), 1);
          taken.delete(p);
        }
        dropped.push({ word: texts[p], why: 'measure' });
      }
    }

    // Each word left: its best concept by name or keyword, unless a chosen concept names it.
    const single = new Map<number, Pick>();
    const absorbed = new Set<number>();
    keys.forEach((k, pos) => {
      if (!k || taken.has(pos) || segOf[pos] < 0 || droppedSeg.has(segOf[pos])) return;
      if (picks.some((pk) => this.describes(pk.entry, k))) {
        taken.set(pos, picks.find((pk) => this.describes(pk.entry, k))!);
        absorbed.add(pos);
        return;
      }
      let best: Hit | undefined;
      let bestScore = 0;
      for (const h of this.hits(k)) {
        if (!eligible(h.entry, k)) continue;
        // By name beats by keyword; a word as written beats a plural of it ("burger", not "burgers").
        const score =
          (h.inLabel ? 1 + 1 / this.labelKeys[h.entry].length : 0) +
          (h.inTag ? 0.5 : 0) +
          (this.entries[h.entry].words.includes(formAt[pos]!) || this.entries[h.entry].tags.includes(formAt[pos]!) ? 0.25 : 0);
        if (score > bestScore || (score === bestScore && best && this.rank(h.entry, dominant) < this.rank(best.entry, dominant))) {
          best = h;
          bestScore = score;
        }
      }
      if (best) single.set(pos, { entry: best.entry, positions: [pos], whole: false });
    });

    // Roles and weights.
    const weights = new Map<string, { entry: number; weight: number; first: number }>();
    const give = (pick: Pick, weight: number) => {
      const e = this.entries[pick.entry].emoji;
      const cur = weights.get(e);
      if (!cur || cur.weight < weight) weights.set(e, { entry: pick.entry, weight, first: Math.min(...pick.positions) });
    };
    segs.forEach((s, si) => {
      if (droppedSeg.has(si) || s.positions.length === 0) return;
      const main = s.rel === 'main' || s.rel === 'and';
      const here = s.positions.filter((p) => taken.has(p) || single.has(p));
      const head = here.at(-1);
      for (const p of s.positions) {
        const pick = taken.get(p) ?? single.get(p);
        if (!pick) {
          if (keys[p]) dropped.push({ word: texts[p], why: 'no concept' });
          continue;
        }
        const isHead = head !== undefined && pick.positions.includes(head);
        if (isHead) give(pick, main ? HEAD_WEIGHT : ATTACHED_WEIGHT);
        else if (pick.whole || pick.positions.length > 1) give(pick, MODIFIER_WEIGHT);
        else if (!absorbed.has(p)) dropped.push({ word: texts[p], why: 'modifier' });
      }
    });
    texts.forEach((t, p) => {
      if (segOf[p] < 0 && this.keyOf([t]) !== undefined) dropped.push({ word: t, why: 'modifier' });
    });
    const understood = [...weights.values()]
      .sort((a, b) => b.weight - a.weight || a.first - b.first)
      .slice(0, MAX_CONCEPTS)
      .map(({ entry, weight }) => ({
        label: `${this.entries[entry].emoji} ${this.entries[entry].label}`,
        weight,
        emoji: this.entries[entry].emoji,
      }));
    const seen = new Set<string>();
    return { understood, dropped: dropped.filter((d) => !seen.has(d.word) && seen.add(d.word)) };
  }

  /**
   * A few concepts whose name or keywords hold a word of the prompt, for browsing the vocabulary:
   * by name before by keyword, shorter names first, one per emoji, in the prompt's language.
   */
  examples(pieces: readonly PromptPiece[], limit: number): { emoji: string; label: string }[] {
    const keys = pieces.flatMap((p) => (p.kind === 'word' && this.keyOf(p.forms) ? [this.keyOf(p.forms)!] : []));
    const dominant = this.dominantLocale(keys);
    const out: { emoji: string; label: string }[] = [];
    const seen = new Set<string>();
    for (const k of new Set(keys)) {
      const hits = this.hits(k)
        .filter((h) => dominant === undefined || this.entries[h.entry].locale === undefined || this.entries[h.entry].locale === dominant)
        .sort((a, b) => Number(b.inLabel) - Number(a.inLabel) || this.labelKeys[a.entry].length - this.labelKeys[b.entry].length || a.entry - b.entry);
      let taken = 0;
      for (const h of hits) {
        const e = this.entries[h.entry];
        if (seen.has(e.emoji)) continue;
        seen.add(e.emoji);
        out.push({ emoji: e.emoji, label: e.label });
        if (++taken >= Math.max(2, Math.ceil(limit / Math.max(1, new Set(keys).size)))) break;
      }
    }
    return out.slice(0, limit);
  }

  /** Whether some concept's whole name is this one word (then a participle is a name: "ring", "bowling"). */
  private namesAlone(forms: readonly string[]): boolean {
    const k = stemKey(forms[0]);
    return this.hits(k).some((h) => h.inLabel && this.labelKeys[h.entry].length === 1);
  }

  /** Whether an entry's name or keywords hold a key. */
  private describes(entry: number, key: string): boolean {
    return this.hits(key).some((h) => h.entry === entry);
  }

  /** The language order: the dominant one first, then the concepts' order. */
  private rank(entry: number, dominant: string | undefined): number {
    const loc = this.entries[entry].locale;
    if (loc === undefined) return 0;
    return loc === dominant ? -1 : this.order.indexOf(loc);
  }

  private dominantLocale(keys: readonly (string | undefined)[]): string | undefined {
    if (this.order.length === 0) return undefined;
    const count = new Map<string, number>();
    for (const k of keys) {
      if (!k) continue;
      const locs = new Set(this.hits(k).map((h) => this.entries[h.entry].locale ?? ''));
      for (const l of locs) count.set(l, (count.get(l) ?? 0) + 1);
    }
    let best: string | undefined;
    for (const l of this.order) if ((count.get(l) ?? 0) > (best === undefined ? 0 : count.get(best)!)) best = l;
    return best;
  }

  /** The entry's name within a short window of the prompt: n = name words present. */
  private phraseMatch(entry: number, keys: readonly (string | undefined)[]): (Pick & { n: number }) | undefined {
    const want = this.labelKeys[entry];
    const k = want.length;
    const at = new Map<string, number[]>();
    keys.forEach((key, pos) => {
      if (key && want.includes(key)) at.set(key, [...(at.get(key) ?? []), pos]);
    });
    const n = at.size;
    const whole = n === k;
    if (!whole && !(n >= 2 && n * 2 >= k)) return undefined;
    // The tightest window holding one position of each present word.
    const flat = [...at].flatMap(([key, ps]) => ps.map((p) => ({ key, p }))).sort((a, b) => a.p - b.p);
    let bestSpan = Infinity;
    let bestPositions: number[] = [];
    for (let i = 0; i < flat.length; i++) {
      const got = new Map<string, number>();
      for (let j = i; j < flat.length; j++) {
        if (!got.has(flat[j].key)) got.set(flat[j].key, flat[j].p);
        if (got.size === n) {
          const span = flat[j].p - flat[i].p + 1;
          if (span < bestSpan) [bestSpan, bestPositions] = [span, [...got.values()]];
          break;
        }
      }
    }
    if (bestSpan > n + 1) return undefined;
    return { entry, positions: bestPositions.sort((a, b) => a - b), whole, n };
  }
}
