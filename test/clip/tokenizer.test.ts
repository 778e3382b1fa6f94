// The CLIP tokenizer: reference ids from the vendored fixture, the clean-up rules, padding,
// truncation, and the reduced vocabulary of the tiny model.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { byteSymbolsInVocabOrder, bytesToUnicode } from '../../src/runtime/clip/bytes.ts';
import {
  ClipTokenizer,
  cleanText,
  clipVocabFromMerges,
  loadClipTokenizer,
  mergesFromSimpleVocab,
  parseMerges,
} from '../../src/runtime/clip/tokenizer.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** OpenAI CLIP's merge list and reference ids (MIT, see fixtures/clip-bpe/LICENSE), vendored so this suite always runs. */
const FIXTURE = resolve(import.meta.dirname, 'fixtures', 'clip-bpe');
const BPE = join(FIXTURE, 'bpe_simple_vocab_16e6.txt.gz');

/** The reference table of the fixture's README: text -> ids (start and end included, unpadded). */
function referenceIds(): [string, number[]][] {
  const readme = readFileSync(join(FIXTURE, 'README.md'), 'utf8');
  const rows: [string, number[]][] = [];
  for (const m of readme.matchAll(/^\|\s*(`([^`]*)`|\(empty\))\s*\|\s*([\d,\s]+)\|\s*$/gm)) {
    rows.push([m[2] ?? '', m[3].split(',').map((s) => Number(s.trim()))]);
  }
  return rows;
}

describe('CLIP tokenizer against the reference ids of fixtures/clip-bpe', () => {
  const tok = (): ClipTokenizer =>
    new ClipTokenizer(
      clipVocabFromMerges(mergesFromSimpleVocab(gunzipSync(readFileSync(BPE)).toString('utf8'))),
    );

  it('builds the 49,408-token vocabulary with <|startoftext|> = 49406 and <|endoftext|> = 49407', () => {
    const t = tok();
    expect(t.vocab.size).toBe(49408);
    expect(t.startId).toBe(49406);
    expect(t.endId).toBe(49407);
    expect(t.vocab.get('a</w>')).toBe(320);
  });

  it('matches every reference tokenization of the README', () => {
    const rows = referenceIds();
    expect(rows.length).toBeGreaterThanOrEqual(5);
    const t = tok();
    for (const [text, ids] of rows) expect(t.encode(text), text).toEqual(ids);
  });

  it('lower-cases, collapses whitespace and unescapes HTML before splitting', () => {
    const t = tok();
    expect(t.encode('  A   PHOTO\tof a\n cat ')).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    expect(t.encode('hello,&#32;world')).toEqual(t.encode('hello, world'));
  });

  it('pads to 77 with <|endoftext|> and truncates long prompts to start + 75 tokens + end', () => {
    const t = tok();
    const padded = t.encodePadded('a rocket ship');
    expect(padded).toHaveLength(77);
    expect(padded.slice(0, 5)).toEqual([49406, 320, 8383, 1158, 49407]);
    expect(padded.slice(5).every((id) => id === 49407)).toBe(true);
    const long = t.encodePadded(Array.from({ length: 100 }, () => 'cat').join(' '));
    expect(long).toHaveLength(77);
    expect(long[0]).toBe(49406);
    expect(long[76]).toBe(49407);
    expect(long.slice(1, 76).every((id) => id === 2368)).toBe(true);
  });

  it('splits digits one by one and keeps contractions', () => {
    const t = tok();
    const ids = t.tokenize("it's 2024");
    expect(ids.slice(-4)).toEqual(t.tokenize('2 0 2 4'));
    expect(ids[1]).toBe(t.vocab.get("'s</w>"));
  });
});

describe('CLIP tokenizer (no fixture needed)', () => {
  it('maps all 256 bytes to distinct printable characters, printable ASCII to itself', () => {
    const table = bytesToUnicode();
    expect(new Set(table).size).toBe(256);
    expect(table[0x41]).toBe('A');
    expect(table[0x20]).toBe('Ġ');
    expect(byteSymbolsInVocabOrder().slice(0, 3)).toEqual(['!', '"', '#']);
  });

  it('cleans text: HTML entities, whitespace runs, case', () => {
    expect(cleanText('  Fish &amp;amp;\n\tChips ')).toBe('fish & chips');
  });

  it('reads a Hugging Face tokenizer folder (the tiny model) and applies its merges', () => {
    const t = loadClipTokenizer(join(ROOT, 'models', 'tiny-sd', 'tokenizer'));
    const vocab = JSON.parse(
      readFileSync(join(ROOT, 'models', 'tiny-sd', 'tokenizer', 'vocab.json'), 'utf8'),
    ) as Record<string, number>;
    expect(t.startId).toBe(vocab['<|startoftext|>']);
    expect(t.endId).toBe(vocab['<|endoftext|>']);
    expect(t.padId).toBe(t.endId);
    // The first merges are CLIP's, so common words keep their CLIP ids (a = 320, photo = 1125).
    expect(t.encode('a photo')).toEqual([t.startId, 320, 1125, t.endId]);
    // A word with no whole-word token is spelled in sub-word pieces that all exist in the vocabulary.
    const ids = t.tokenize('zyzzyva');
    expect(ids.length).toBeGreaterThan(1);
    expect(ids.every((id) => id >= 0 && id < vocab['<|startoftext|>'])).toBe(true);
  });

  it('decodes ids back to text and reports the words past the context length', () => {
    const t = loadClipTokenizer(join(ROOT, 'models', 'tiny-sd', 'tokenizer'));
    expect(t.decode(t.encode('A photo of a cat, 2024!'))).toBe('a photo of a cat , 2 0 2 4 !');
    const words = Array.from({ length: 80 }, (_, i) => (i < 75 ? 'a' : 'dog'));
    expect(t.truncated(words.join(' '))).toBe('dog dog dog dog dog');
    expect(t.truncated('a cat')).toBe('');
  });

  it('parses merges.txt with a #version header and CRLF line ends', () => {
    expect(parseMerges('#version: 0.2\r\na b\r\nab c</w>\r\n\r\n')).toEqual([
      ['a', 'b'],
      ['ab', 'c</w>'],
    ]);
  });
});

/**
 * SDXL's two tokenizers, as stabilityai/stable-diffusion-xl-base-1.0 publishes them: tokenizer/ (CLIP ViT-L)
 * pads with <|endoftext|>; tokenizer_2/ (OpenCLIP ViT-bigG) is the same BPE and vocabulary with
 * `"pad_token": "!"` in its tokenizer_config.json and special_tokens_map.json, and "!" is id 0 (the first
 * byte symbol). Both give CLIP's reference ids; only the padding differs.
 */
describe("SDXL's tokenizer and tokenizer_2 (Hugging Face folders of the full CLIP vocabulary)", () => {
  const root = mkdtempSync(join(tmpdir(), 'diffuse-sdxl-tok-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  function folder(name: string, pad: string): string {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    const merges = mergesFromSimpleVocab(gunzipSync(readFileSync(BPE)).toString('utf8'));
    const { vocab } = clipVocabFromMerges(merges);
    writeFileSync(join(dir, 'vocab.json'), JSON.stringify(Object.fromEntries(vocab)));
    writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\n' + merges.map(([a, b]) => `${a} ${b}`).join('\n') + '\n');
    const special = { bos_token: '<|startoftext|>', eos_token: '<|endoftext|>', pad_token: pad, unk_token: '<|endoftext|>' };
    writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify(special));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...special, model_max_length: 77, tokenizer_class: 'CLIPTokenizer' }));
    return dir;
  }

  it('both match every reference tokenization; tokenizer pads with 49407, tokenizer_2 with "!" = 0', () => {
    const t1 = loadClipTokenizer(folder('tokenizer', '<|endoftext|>'));
    const t2 = loadClipTokenizer(folder('tokenizer_2', '!'));
    expect(t1.padId).toBe(49407);
    expect(t2.padId).toBe(0);
    const rows = referenceIds();
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const [text, ids] of rows) {
      expect(t1.encode(text), text).toEqual(ids);
      expect(t2.encode(text), text).toEqual(ids);
      const p1 = t1.encodePadded(text);
      const p2 = t2.encodePadded(text);
      expect(p1, text).toEqual([...ids, ...new Array<number>(77 - ids.length).fill(49407)]);
      expect(p2, text).toEqual([...ids, ...new Array<number>(77 - ids.length).fill(0)]);
    }
  });

  it("tiny-sdxl's tokenizers: the same ids, tokenizer_2 padded with its \"!\" (id 0)", () => {
    const t1 = loadClipTokenizer(join(ROOT, 'models', 'tiny-sdxl', 'tokenizer'));
    const t2 = loadClipTokenizer(join(ROOT, 'models', 'tiny-sdxl', 'tokenizer_2'));
    expect(t2.padId).toBe(0);
    expect(t1.padId).toBe(t1.endId);
    for (const [text] of referenceIds()) {
      const ids = t1.encode(text);
      expect(t2.encode(text)).toEqual(ids);
      expect(t2.encodePadded(text).slice(ids.length).every((id) => id === 0)).toBe(true);
      expect(t1.encodePadded(text).slice(ids.length).every((id) => id === t1.endId)).toBe(true);
    }
    expect(t1.encode('a photo')).toEqual([t1.startId, 320, 1125, t1.endId]);
  });
});
