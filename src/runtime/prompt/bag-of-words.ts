// Runs in the inference process and the CLI.
// Bag-of-words prompt encoder: cond = mean of the embedding rows of the prompt's known tokens.
//
// Tokenization: NFKC + lowercase; runs of letters/digits/marks and single emoji are words;
// stopwords dropped; unknown words get English plural stripping, and CJK/kana/hangul runs get
// greedy longest-match segmentation against the vocabulary. Empty prompt -> zeros (the
// unconditional input of classifier-free guidance).
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { z } from 'zod';
import { ModelError } from '../errors.ts';
import type { BagOfWordsManifest } from '../manifest.ts';
import type { EncodedPrompt, UnderstoodConcept } from '../types.ts';
import { float16ToFloat32 } from '../float16.ts';
import { readJsonFileAs } from '../json-file.ts';
import { confinedPath } from '../model-files.ts';
import { baseEmoji, stripVariationSelectors } from './emoji.ts';
import type { PromptEncoder } from './types.ts';

/** An emoji concept of the model in one language: its label words as vocabulary ids, and its tags' words (content rules read them; understanding does not). */
export interface Concept {
  emoji: string;
  label: string;
  tokens: number[];
  tags?: number[];
}

/** Everything the encoder needs, already in memory. */
export interface BagOfWordsData {
  tokens: readonly string[];
  stopwords: readonly string[];
  /** Row-major [tokens.length, dim]. */
  embeddings: Float32Array;
  dim: number;
  concepts?: readonly Concept[];
}

/** The tokens and unknown words of a prompt. */
export interface Tokenized {
  /** Vocabulary ids, de-duplicated, in prompt order. */
  tokens: number[];
  /** Unknown words, de-duplicated, in prompt order. */
  unknown: string[];
}

/** The pieces of a prompt: single emoji and runs of letters, digits and marks (after normalisation). */
export const WORD_OR_EMOJI = new RegExp(
  '\\p{RGI_Emoji}|\\p{Extended_Pictographic}|[\\p{L}\\p{N}\\p{M}]+',
  'gv',
);
/** Whether a piece is a word (not an emoji). */
export const IS_WORD = /^[\p{L}\p{N}\p{M}]+$/u;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const MAX_SEGMENT = 16;

/** Lookup key: NFKC, lowercase, emoji variation selectors removed. */
export function normKey(s: string): string {
  return stripVariationSelectors(s.normalize('NFKC').toLowerCase());
}

/** The bag-of-words encoder of the bundled emoji model (see the file header for the exact rules). */
export class BagOfWordsEncoder implements PromptEncoder {
  readonly dim: number;
  readonly condDims: readonly number[];
  private readonly vocab = new Map<string, number>();
  private readonly stop = new Set<string>();
  private readonly embeddings: Float32Array;
  private readonly concepts: readonly Concept[];
  private readonly conceptSizes: number[];
  private readonly byToken = new Map<number, number[]>();
  private readonly byEmoji = new Map<string, number[]>();
  private readonly maxLen: number;
  private readonly tokenList: readonly string[];

  constructor(data: BagOfWordsData) {
    const { tokens, dim } = data;
    if (data.embeddings.length !== tokens.length * dim) {
      throw new ModelError(
        'bad-manifest',
        `Embeddings hold ${data.embeddings.length} values, expected ${tokens.length} tokens x ${dim} = ${tokens.length * dim}`,
      );
    }
    this.dim = dim;
    this.condDims = [dim];
    this.embeddings = data.embeddings;
    this.tokenList = tokens;
    let maxLen = 1;
    tokens.forEach((tok, i) => {
      if (!this.vocab.has(tok)) this.vocab.set(tok, i);
      const k = normKey(tok);
      if (!this.vocab.has(k)) this.vocab.set(k, i);
      maxLen = Math.max(maxLen, [...k].length);
    });
    this.maxLen = Math.min(maxLen, MAX_SEGMENT);
    for (const s of data.stopwords) this.stop.add(normKey(s));
    this.concepts = data.concepts ?? [];
    this.conceptSizes = this.concepts.map((c) => new Set(c.tokens).size);
    this.concepts.forEach((c, ci) => {
      for (const t of new Set(c.tokens)) {
        if (!Number.isInteger(t) || t < 0 || t >= tokens.length) {
          throw new ModelError(
            'bad-manifest',
            `Concept "${c.label}" refers to token id ${t}, outside the vocabulary (0..${tokens.length - 1})`,
          );
        }
        const list = this.byToken.get(t) ?? [];
        list.push(ci);
        this.byToken.set(t, list);
      }
      const ek = baseEmoji(normKey(c.emoji));
      const list = this.byEmoji.get(ek) ?? [];
      list.push(ci);
      this.byEmoji.set(ek, list);
    });
  }

  /** Whether a word is one of the stopwords every prompt drops. */
  isStopword(word: string): boolean {
    return this.stop.has(normKey(word));
  }

  /** The model's concepts (one entry per emoji and language). */
  conceptList(): readonly Concept[] {
    return this.concepts;
  }

  /** Vocabulary id of a token, or undefined. */
  tokenId(word: string): number | undefined {
    return this.vocab.get(word) ?? this.vocab.get(normKey(word));
  }

  private lookupWord(word: string): number[] | undefined {
    const id = this.tokenId(word);
    if (id !== undefined) return [id];
    // English plurals: boxes -> box, berries -> berry, dogs -> dog.
    const candidates: string[] = [];
    if (word.length > 3 && word.endsWith('ies')) candidates.push(word.slice(0, -3) + 'y');
    if (word.length > 3 && word.endsWith('es')) candidates.push(word.slice(0, -2));
    if (word.length > 2 && word.endsWith('s') && !word.endsWith('ss')) candidates.push(word.slice(0, -1));
    for (const c of candidates) {
      const cid = this.tokenId(c);
      if (cid !== undefined) return [cid];
    }
    return this.splitCompound(word);
  }

  /** A compound of two known words, e.g. waterfall -> water + fall, campfire -> camp + fire (longest first part wins). */
  private splitCompound(word: string): number[] | undefined {
    if (word.length < 6) return undefined;
    for (let i = word.length - 3; i >= 3; i--) {
      const a = this.tokenId(word.slice(0, i));
      const b = a === undefined ? undefined : this.lookupWordNoSplit(word.slice(i));
      if (a !== undefined && b !== undefined) return [a, b];
    }
    return undefined;
  }

  private lookupWordNoSplit(word: string): number | undefined {
    return (
      this.tokenId(word) ??
      (word.endsWith('s') && word.length > 3 ? this.tokenId(word.slice(0, -1)) : undefined)
    );
  }

  private lookupEmoji(emoji: string): number[] | undefined {
    const id = this.tokenId(emoji) ?? this.tokenId(baseEmoji(emoji));
    if (id !== undefined) return [id];
    // A ZWJ sequence (e.g. 👨‍🚀) falls back to its known parts.
    const parts = baseEmoji(emoji)
      .split('\u200d')
      .filter((p) => p.length > 0);
    if (parts.length < 2) return undefined;
    const ids = parts.map((p) => this.tokenId(p)).filter((x): x is number => x !== undefined);
    return ids.length > 0 ? ids : undefined;
  }

  /** Greedy longest-match segmentation of a CJK run; unmatched characters are grouped into unknown words. */
  private segment(run: string, tokens: number[], unknown: string[]): void {
    const chars = [...run];
    let pending = '';
    let i = 0;
    while (i < chars.length) {
      let matched = 0;
      let id: number | undefined;
      let isStop = false;
      for (let len = Math.min(this.maxLen, chars.length - i); len >= 1; len--) {
        const piece = chars.slice(i, i + len).join('');
        id = this.tokenId(piece);
        isStop = id === undefined && this.stop.has(piece);
        if (id !== undefined || isStop) {
          matched = len;
          break;
        }
      }
      if (matched === 0) {
        pending += chars[i];
        i += 1;
        continue;
      }
      if (pending) unknown.push(pending);
      pending = '';
      if (id !== undefined) tokens.push(id);
      i += matched;
    }
    if (pending) unknown.push(pending);
  }

  /** Split a prompt into vocabulary ids and unknown words. */
  tokenize(text: string): Tokenized {
    const norm = text.normalize('NFKC').toLowerCase();
    const tokens: number[] = [];
    const unknown: string[] = [];
    for (const m of norm.matchAll(WORD_OR_EMOJI)) {
      const piece = m[0];
      if (IS_WORD.test(piece)) {
        if (this.stop.has(piece)) continue;
        const ids = this.lookupWord(piece);
        if (ids) tokens.push(...ids);
        else if (CJK.test(piece)) this.segment(piece, tokens, unknown);
        else unknown.push(piece);
      } else {
        const ids = this.lookupEmoji(piece);
        if (ids) tokens.push(...ids);
        else unknown.push(piece);
      }
    }
    return { tokens: [...new Set(tokens)], unknown: [...new Set(unknown)] };
  }

  /** Concepts ranked by |label ∩ prompt| / |label| (ties: shorter label): all full matches, then the best partial match (score >= 0.5) of each word they leave uncovered. */
  understand(tokens: readonly number[]): UnderstoodConcept[] {
    const overlap = new Map<number, number>();
    const full = new Set<number>();
    for (const t of tokens) {
      for (const ci of this.byToken.get(t) ?? []) overlap.set(ci, (overlap.get(ci) ?? 0) + 1);
    }
    // The emoji character of a concept in the prompt is a full match of that concept.
    const tokenStrings = new Set<string>();
    for (const t of tokens) tokenStrings.add(baseEmoji(normKey(this.tokenList[t])));
    // A concept may have one entry per language; an emoji character matches only its first (English) entry.
    for (const s of tokenStrings) {
      const entries = this.byEmoji.get(s) ?? [];
      if (entries.length > 0 && !entries.some((ci) => overlap.has(ci))) full.add(Math.min(...entries));
      else for (const ci of entries) if (overlap.has(ci)) full.add(ci);
    }
    const scored: { ci: number; score: number }[] = [];
    const seen = new Set<number>([...overlap.keys(), ...full]);
    for (const ci of seen) {
      const size = this.conceptSizes[ci];
      const score = full.has(ci) ? 1 : size > 0 ? (overlap.get(ci) ?? 0) / size : 0;
      if (score > 0) scored.push({ ci, score });
    }
    scored.sort(
      (a, b) =>
        b.score - a.score ||
        this.conceptSizes[a.ci] - this.conceptSizes[b.ci] ||
        this.concepts[a.ci].label.length - this.concepts[b.ci].label.length ||
        a.ci - b.ci,
    );
    const emojiSeen = new Set<string>();
    const unique = scored.filter(({ ci }) => {
      const e = this.concepts[ci].emoji;
      if (emojiSeen.has(e)) return false;
      emojiSeen.add(e);
      return true;
    });
    scored.splice(0, scored.length, ...unique);
    // All full matches; then, for each prompt word no chosen concept covers, its best concept with
    // score >= 0.5 ("a man wearing a hat": 👨 man, then 🎩 top hat for "hat").
    const chosen = scored.filter((s) => s.score >= 1);
    const covered = new Set<number>(chosen.flatMap(({ ci }) => this.concepts[ci].tokens));
    for (const t of tokens) {
      if (covered.has(t) || chosen.length >= 6) continue;
      const best = scored.find(
        (s) => s.score >= 0.5 && !chosen.includes(s) && this.concepts[s.ci].tokens.includes(t),
      );
      if (best) {
        chosen.push(best);
        for (const u of this.concepts[best.ci].tokens) covered.add(u);
      }
    }
    return chosen.map(({ ci, score }) => ({
      label: `${this.concepts[ci].emoji} ${this.concepts[ci].label}`,
      weight: score,
      emoji: this.concepts[ci].emoji,
    }));
  }

  /** Encode a prompt: mean embedding of its known tokens ([dim]; zeros when none), understood concepts, unknown words. */
  encode(text: string): EncodedPrompt {
    const { tokens, unknown } = this.tokenize(text);
    const data = new Float32Array(this.dim);
    if (tokens.length > 0) {
      for (const t of tokens) {
        const row = t * this.dim;
        for (let j = 0; j < this.dim; j++) data[j] += this.embeddings[row + j];
      }
      for (let j = 0; j < this.dim; j++) data[j] /= tokens.length;
    }
    return { cond: { data, dims: [this.dim] }, understood: this.understand(tokens), unknown };
  }
}

const VocabSchema = z.object({ tokens: z.array(z.string()), stopwords: z.array(z.string()).default([]) });
const ConceptsSchema = z.array(
  z.object({
    emoji: z.string(),
    label: z.string(),
    tokens: z.array(z.number().int()),
    tags: z.array(z.number().int()).optional(),
  }),
);

/** Read a little-endian float32 or float16 matrix file into a Float32Array. */
export function readEmbeddings(file: string, dtype: 'float32' | 'float16'): Float32Array {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    throw new ModelError(
      'bad-manifest',
      `Cannot read the prompt embeddings ${file}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const width = dtype === 'float32' ? 4 : 2;
  if (buf.byteLength % width !== 0) {
    throw new ModelError(
      'bad-manifest',
      `Prompt embeddings ${file}: ${buf.byteLength} bytes is not a whole number of ${dtype} values`,
    );
  }
  const n = buf.byteLength / width;
  if (dtype === 'float32' && endianness() === 'LE') {
    return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  }
  if (dtype === 'float32') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = buf.readFloatLE(i * 4);
    return out;
  }
  const bits = new Uint16Array(n);
  for (let i = 0; i < n; i++) bits[i] = buf.readUInt16LE(i * 2);
  return float16ToFloat32(bits);
}

/**
 * The encoder's words and concepts without its embeddings (vocab.json, concepts.json): it tokenizes
 * and understands prompts exactly as the full encoder does; its `encode` gives an empty condition.
 * The content rules' concept index (concept-rules.ts) uses it.
 */
export function loadBagOfWordsText(dir: string, m: BagOfWordsManifest): BagOfWordsEncoder {
  const vocab = readJsonFileAs(confinedPath(dir, m.vocab, 'prompt.vocab'), VocabSchema, 'prompt vocabulary');
  const concepts = m.concepts
    ? readJsonFileAs(confinedPath(dir, m.concepts, 'prompt.concepts'), ConceptsSchema, 'concept list')
    : [];
  return new BagOfWordsEncoder({
    tokens: vocab.tokens,
    stopwords: vocab.stopwords,
    embeddings: new Float32Array(0),
    dim: 0,
    concepts,
  });
}

/** Load the bag-of-words encoder files named by the manifest (vocab.json, embeddings.bin, concepts.json). */
export function loadBagOfWords(dir: string, m: BagOfWordsManifest): BagOfWordsEncoder {
  const vocab = readJsonFileAs(confinedPath(dir, m.vocab, 'prompt.vocab'), VocabSchema, 'prompt vocabulary');
  const embFile = confinedPath(dir, m.embeddings, 'prompt.embeddings');
  const embeddings = readEmbeddings(embFile, m.embeddings_dtype);
  if (embeddings.length !== vocab.tokens.length * m.dim) {
    throw new ModelError(
      'bad-manifest',
      `Prompt embeddings ${embFile} hold ${embeddings.length} values; the vocabulary has ${vocab.tokens.length} tokens of dim ${m.dim} (${vocab.tokens.length * m.dim} values)`,
    );
  }
  const concepts = m.concepts
    ? readJsonFileAs(confinedPath(dir, m.concepts, 'prompt.concepts'), ConceptsSchema, 'concept list')
    : [];
  return new BagOfWordsEncoder({
    tokens: vocab.tokens,
    stopwords: vocab.stopwords,
    embeddings,
    dim: m.dim,
    concepts,
  });
}
