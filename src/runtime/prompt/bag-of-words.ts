// Runs in the inference process and the CLI.
// Bag-of-words prompt encoder: cond = mean of the embedding rows of the prompt's known tokens;
// what it understands (the concepts the coarse prior draws, with weights) is read phrase by
// phrase over the concepts' names and keywords (phrase-match.ts).
//
// Tokenization: NFKC + lowercase; runs of letters/digits/marks and single emoji are words;
// stopwords dropped; unknown words get English plural stripping and simple inflections, and CJK/kana/hangul runs get
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
import { ENGLISH_ALIASES } from './aliases.ts';
import { baseEmoji, stripVariationSelectors } from './emoji.ts';
import { PhraseMatcher, type DroppedWord, type MatchEntry, type PromptPiece } from './phrase-match.ts';
import { isBreakWord, wordForms } from './word-forms.ts';
import type { PromptEncoder } from './types.ts';

/** An emoji concept of the model in one language: its label words as vocabulary ids, and its tags' (keywords') words. */
export interface Concept {
  emoji: string;
  label: string;
  tokens: number[];
  tags?: number[];
  /** The language of this entry (emojibase-data locale), when known. */
  locale?: string;
}

/** What the encoder understands of a prompt (see phrase-match.ts): the concepts it draws with their weights, known words that name nothing drawn, unknown words. */
export interface PromptReading {
  understood: UnderstoodConcept[];
  dropped: DroppedWord[];
  unknown: string[];
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
  private readonly byEmoji = new Map<string, number[]>();
  private readonly maxLen: number;
  private readonly tokenList: readonly string[];
  private readonly matcher: PhraseMatcher;
  /** The first matcher entry of each emoji (its English name when it has one). */
  private readonly entryOfEmoji = new Map<string, number>();

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
    this.concepts.forEach((c, ci) => {
      for (const t of new Set(c.tokens)) {
        if (!Number.isInteger(t) || t < 0 || t >= tokens.length) {
          throw new ModelError(
            'bad-manifest',
            `Concept "${c.label}" refers to token id ${t}, outside the vocabulary (0..${tokens.length - 1})`,
          );
        }
      }
      const ek = baseEmoji(normKey(c.emoji));
      const list = this.byEmoji.get(ek) ?? [];
      list.push(ci);
      this.byEmoji.set(ek, list);
    });
    const word = (id: number) => normKey(tokens[id]);
    const entries: MatchEntry[] = this.concepts.map((c) => ({
      emoji: c.emoji,
      label: c.label,
      locale: c.locale,
      words: c.tokens.map(word).filter((w) => IS_WORD.test(w)),
      tags: (c.tags ?? []).map(word).filter((w) => IS_WORD.test(w)),
    }));
    for (const [emoji, name] of ENGLISH_ALIASES) {
      const own = this.byEmoji.get(baseEmoji(normKey(emoji)));
      if (!own) continue;
      const c = this.concepts[own[0]];
      entries.push({ emoji: c.emoji, label: name, locale: c.locale === undefined ? undefined : 'en', words: name.split(' ').filter((w) => !this.stop.has(w)), tags: [] });
    }
    entries.forEach((e, i) => {
      const k = baseEmoji(normKey(e.emoji));
      if (!this.entryOfEmoji.has(k)) this.entryOfEmoji.set(k, i);
    });
    this.matcher = new PhraseMatcher(entries);
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
    // Simple inflections: snowy -> snow, sleeping -> sleep.
    candidates.push(...wordForms(word).slice(1));
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

  /** The prompt as pieces for the phrase matcher, and its unknown words. */
  private pieces(text: string): { pieces: PromptPiece[]; unknown: string[] } {
    const norm = text.normalize('NFKC').toLowerCase();
    const pieces: PromptPiece[] = [];
    const unknown: string[] = [];
    const wordPiece = (w: string): PromptPiece => ({ kind: 'word', text: w, forms: wordForms(w) });
    for (const m of norm.matchAll(WORD_OR_EMOJI)) {
      const piece = m[0];
      if (IS_WORD.test(piece)) {
        if (isBreakWord(piece)) pieces.push({ kind: 'break', text: piece });
        else if (this.stop.has(piece)) continue;
        else if (this.matcher.knows(piece)) pieces.push(wordPiece(piece));
        else {
          const tokens: number[] = [];
          const ids = this.lookupWord(piece);
          if (ids) tokens.push(...ids);
          else if (CJK.test(piece)) this.segment(piece, tokens, unknown);
          else unknown.push(piece);
          for (const t of tokens) pieces.push(wordPiece(normKey(this.tokenList[t])));
        }
        continue;
      }
      const whole = this.entryOfEmoji.get(baseEmoji(normKey(piece)));
      if (whole !== undefined) {
        pieces.push({ kind: 'emoji', text: piece, entry: whole });
        continue;
      }
      // A ZWJ sequence (e.g. 👨‍🚀) falls back to its known parts.
      const parts = baseEmoji(normKey(piece)).split('\u200d').filter((p) => p.length > 0);
      const known = parts.map((p) => this.entryOfEmoji.get(p)).filter((x): x is number => x !== undefined);
      if (parts.length > 1 && known.length > 0) for (const entry of known) pieces.push({ kind: 'emoji', text: piece, entry });
      else unknown.push(piece);
    }
    return { pieces, unknown: [...new Set(unknown)] };
  }

  /** What the model understands of a prompt: concepts with weights (the head first), dropped known words, unknown words. */
  read(text: string): PromptReading {
    const { pieces, unknown } = this.pieces(text);
    const { understood, dropped } = this.matcher.read(pieces);
    return { understood, dropped, unknown };
  }

  /** Up to `limit` vocabulary entries (emoji and name) that hold a word of the text, for browsing what the model knows. */
  examples(text: string, limit = 8): { emoji: string; label: string }[] {
    return this.matcher.examples(this.pieces(text).pieces, limit);
  }

  /** Encode a prompt: mean embedding of its known tokens ([dim]; zeros when none), understood concepts, unknown words. */
  encode(text: string): EncodedPrompt {
    const { tokens } = this.tokenize(text);
    const { understood, unknown } = this.read(text);
    const data = new Float32Array(this.dim);
    if (tokens.length > 0) {
      for (const t of tokens) {
        const row = t * this.dim;
        for (let j = 0; j < this.dim; j++) data[j] += this.embeddings[row + j];
      }
      for (let j = 0; j < this.dim; j++) data[j] /= tokens.length;
    }
    return { cond: { data, dims: [this.dim] }, understood, unknown };
  }
}

const VocabSchema = z.object({ tokens: z.array(z.string()), stopwords: z.array(z.string()).default([]) });
const ConceptsSchema = z.array(
  z.object({
    emoji: z.string(),
    label: z.string(),
    tokens: z.array(z.number().int()),
    tags: z.array(z.number().int()).optional(),
    locale: z.string().optional(),
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
