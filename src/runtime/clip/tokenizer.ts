// Runs in the inference process and the CLI.
// CLIP's text tokenizer (Radford et al. 2021, `simple_tokenizer.py`; the Hugging Face CLIPTokenizer):
// clean-up, lower-casing, a pre-tokenizing regex, byte-level BPE with the `</w>` end-of-word
// marker, start/end tokens, truncation and padding to the context length (77).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError } from '../errors.ts';
import { readJsonFile } from '../json-file.ts';
import { byteSymbolsInVocabOrder, bytesToUnicode } from './bytes.ts';

export const START_TOKEN = '<|startoftext|>';
export const END_TOKEN = '<|endoftext|>';
/** CLIP's context length. */
export const CLIP_MAX_LENGTH = 77;

/** CLIP's pre-tokenizer: special tokens, English contractions, letter runs, single digits, other non-space runs. */
const PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function unescapeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, body: string) => {
    if (body[0] === '#') {
      const cp =
        body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    }
    return ENTITIES[body.toLowerCase()] ?? m;
  });
}

/** CLIP's text clean-up: HTML entities unescaped twice, whitespace runs collapsed to one space, trimmed, lower-cased. */
export function cleanText(text: string): string {
  return unescapeHtml(unescapeHtml(text.normalize('NFC')))
    .replace(/\s+/gu, ' ')
    .trim()
    .toLowerCase();
}

/** Vocabulary and merge ranks of a byte-level BPE. */
export interface BpeData {
  /** Token string -> id. */
  vocab: Map<string, number>;
  /** Merge list, highest priority first, as "left right" pairs. */
  merges: readonly (readonly [string, string])[];
}

/** Parse merges text (one "a b" pair per line; a `#version` header and blank lines skipped). */
export function parseMerges(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '' || line.startsWith('#version')) continue;
    const parts = line.split(' ');
    if (parts.length !== 2) continue;
    out.push([parts[0], parts[1]]);
  }
  return out;
}

/**
 * CLIP's vocabulary from its merge list, as `simple_tokenizer` builds it: the 256 byte symbols,
 * the same with `</w>`, one token per merge (the first 49152 - 256 - 2 merges), then the start and end tokens.
 */
export function clipVocabFromMerges(merges: readonly (readonly [string, string])[]): BpeData {
  const used = merges.slice(0, 49152 - 256 - 2);
  const bytes = byteSymbolsInVocabOrder();
  const tokens = [
    ...bytes,
    ...bytes.map((b) => b + '</w>'),
    ...used.map(([a, b]) => a + b),
    START_TOKEN,
    END_TOKEN,
  ];
  return { vocab: new Map(tokens.map((t, i) => [t, i])), merges: used };
}

/** Merges of CLIP's `bpe_simple_vocab_16e6.txt` (the gunzipped text): the first line is a header, then one merge per line. */
export function mergesFromSimpleVocab(text: string): [string, string][] {
  const lines = text.split('\n').slice(1, 1 + 49152 - 256 - 2);
  return parseMerges(lines.join('\n'));
}

/** The pairs of adjacent symbols of a word. */
function pairsOf(word: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < word.length - 1; i++) out.add(word[i] + ' ' + word[i + 1]);
  return out;
}

/** Tokenizer options read from a Hugging Face tokenizer folder. */
export interface ClipTokenizerOptions {
  maxLength?: number;
  /** Padding token (SD 1.x: `<|endoftext|>`; SD 2.x: `!`). */
  padToken?: string;
}

/** The CLIP byte-level BPE tokenizer. */
export class ClipTokenizer {
  readonly vocab: Map<string, number>;
  readonly startId: number;
  readonly endId: number;
  readonly padId: number;
  readonly maxLength: number;
  private readonly ranks: Map<string, number>;
  private readonly byteTable = bytesToUnicode();
  private readonly cache = new Map<string, string[]>();
  private inverse?: Map<number, string>;

  constructor(data: BpeData, options: ClipTokenizerOptions = {}) {
    this.vocab = data.vocab;
    this.ranks = new Map(data.merges.map(([a, b], i) => [a + ' ' + b, i]));
    const id = (tok: string): number => {
      const v = this.vocab.get(tok);
      if (v === undefined)
        throw new ModelError('bad-manifest', `CLIP tokenizer vocabulary has no "${tok}" token`);
      return v;
    };
    this.startId = id(START_TOKEN);
    this.endId = id(END_TOKEN);
    this.padId = id(options.padToken ?? END_TOKEN);
    this.maxLength = options.maxLength ?? CLIP_MAX_LENGTH;
  }

  /** BPE of one pre-token (already mapped to byte symbols): merge the lowest-ranked adjacent pair until none is in the merge list. */
  bpe(token: string): string[] {
    const hit = this.cache.get(token);
    if (hit) return hit;
    const chars = [...token];
    let word = [...chars.slice(0, -1), chars[chars.length - 1] + '</w>'];
    while (word.length > 1) {
      let best: string | undefined;
      let bestRank = Infinity;
      for (const p of pairsOf(word)) {
        const r = this.ranks.get(p);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = p;
        }
      }
      if (best === undefined) break;
      const [first, second] = best.split(' ');
      const next: string[] = [];
      for (let i = 0; i < word.length;) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          next.push(first + second);
          i += 2;
        } else {
          next.push(word[i]);
          i += 1;
        }
      }
      word = next;
    }
    if (this.cache.size < 10_000) this.cache.set(token, word);
    return word;
  }

  /** Token ids of a text without start/end tokens. Symbols missing from a reduced vocabulary fall back to their bytes. */
  tokenize(text: string): number[] {
    const ids: number[] = [];
    for (const m of cleanText(text).matchAll(PATTERN)) {
      const piece = m[0];
      if (piece === START_TOKEN || piece === END_TOKEN) {
        ids.push(piece === START_TOKEN ? this.startId : this.endId);
        continue;
      }
      const symbols = [...Buffer.from(piece, 'utf8')].map((b) => this.byteTable[b]).join('');
      for (const tok of this.bpe(symbols)) {
        const id = this.vocab.get(tok);
        if (id !== undefined) {
          ids.push(id);
          continue;
        }
        // A vocabulary without this merge result: spell it out in byte symbols.
        const parts = [...tok.replace(/<\/w>$/, '')];
        parts.forEach((p, i) => {
          const key = i === parts.length - 1 && tok.endsWith('</w>') ? p + '</w>' : p;
          const pid = this.vocab.get(key) ?? this.vocab.get(p);
          if (pid !== undefined) ids.push(pid);
        });
      }
    }
    return ids;
  }

  /** Text of token ids (the inverse of the byte mapping; `</w>` becomes a space), trimmed. */
  decode(ids: readonly number[]): string {
    if (!this.inverse) this.inverse = new Map([...this.vocab].map(([t, i]) => [i, t]));
    const byteOf = new Map(this.byteTable.map((ch, b) => [ch, b]));
    const bytes: number[] = [];
    for (const id of ids) {
      const tok = this.inverse.get(id);
      if (tok === undefined || tok === START_TOKEN || tok === END_TOKEN) continue;
      for (const ch of tok.replace(/<\/w>$/, '')) {
        const b = byteOf.get(ch);
        if (b !== undefined) bytes.push(b);
      }
      if (tok.endsWith('</w>')) bytes.push(0x20);
    }
    return Buffer.from(bytes).toString('utf8').trim();
  }

  /** The part of a text past the context length (ignored by the text encoder), or '' when it fits. */
  truncated(text: string): string {
    const ids = this.tokenize(text);
    return ids.length > this.maxLength - 2 ? this.decode(ids.slice(this.maxLength - 2)) : '';
  }

  /** Start token, the text's tokens (truncated to maxLength - 2), end token; unpadded (the reference tokenizations). */
  encode(text: string): number[] {
    return [this.startId, ...this.tokenize(text).slice(0, this.maxLength - 2), this.endId];
  }

  /** encode() padded with the pad token to exactly maxLength ids (the text encoder's input_ids). */
  encodePadded(text: string): number[] {
    const ids = this.encode(text);
    while (ids.length < this.maxLength) ids.push(this.padId);
    return ids;
  }
}

function tokenName(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string')
    return (v as { content: string }).content;
  return undefined;
}

/** Load a Hugging Face CLIP tokenizer folder (vocab.json + merges.txt; pad token and max length from special_tokens_map.json / tokenizer_config.json). */
export function loadClipTokenizer(dir: string, maxLength?: number): ClipTokenizer {
  const read = (name: string): string => {
    const file = join(dir, name);
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new ModelError(
        'bad-manifest',
        `Cannot read CLIP tokenizer file ${file}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  };
  const vocabJson = readJsonFile(join(dir, 'vocab.json'), 'CLIP vocabulary');
  if (!vocabJson || typeof vocabJson !== 'object')
    throw new ModelError('bad-manifest', `${join(dir, 'vocab.json')} must map tokens to ids`);
  const vocab = new Map<string, number>(
    Object.entries(vocabJson as Record<string, number>).filter(([, v]) => Number.isInteger(v)),
  );
  const merges = parseMerges(read('merges.txt'));
  const extra: Record<string, unknown> = {};
  for (const name of ['tokenizer_config.json', 'special_tokens_map.json']) {
    if (!existsSync(join(dir, name))) continue;
    try {
      Object.assign(extra, JSON.parse(read(name)) as Record<string, unknown>);
    } catch {
      // optional files; a broken one leaves the defaults
    }
  }
  const padToken = tokenName(extra.pad_token);
  const configured =
    typeof extra.model_max_length === 'number' && extra.model_max_length <= 1024
      ? extra.model_max_length
      : undefined;
  return new ClipTokenizer(
    { vocab, merges },
    { padToken: padToken && vocab.has(padToken) ? padToken : END_TOKEN, maxLength: maxLength ?? configured },
  );
}
