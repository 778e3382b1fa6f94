// Builds the bundled emoji model's training set from npm packages (dev dependencies):
// Noto (emoji-datasource-google, Apache-2.0), Twemoji (emoji-datasource-twitter, CC-BY-4.0) and
// Fluent Emoji Flat (@iconify-json/fluent-emoji-flat, MIT), captions from emojibase-data.
// Output (git-ignored): models/emoji/data/build/{images.u8, dataset.json, vocab.json}.
//   images.u8     uint8 [N, 64, 64, 3] RGB, flattened onto white
//   dataset.json  { images: [{ concept, style }], concepts: [{ hexcode, emoji, label, group, split,
//                   captions: [{ locale, label: ids[], tags: ids[][] }], char?: id }] }
//   vocab.json    { tokens, stopwords } (the bag-of-words text encoder's vocabulary)
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { stripVariationSelectors } from '../../../src/runtime/prompt/emoji.ts';
import { STOPWORDS, tokenizeCaption } from './tokenize.ts';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const outDir = join(here, 'build');
const SIZE = 64;
/** Locales whose labels and tags become captions (emojibase-data folder names). */
export const LOCALES = ['en', 'de', 'es', 'fr', 'it', 'pt', 'nl', 'pl', 'ru', 'ja', 'ko', 'zh', 'sv'];
/** Share of base emoji held out of training (with all their skin tones) for evaluation. */
const HELD_OUT_PER_MILLE = 30;

interface BaseEntry {
  label: string;
  hexcode: string;
  emoji: string;
  group?: number;
  tags?: string[];
  skins?: BaseEntry[];
}
interface Compact {
  hexcode: string;
  label: string;
  tags?: string[];
}

const norm = (hex: string) =>
  hex
    .toLowerCase()
    .split('-')
    .filter((p) => p !== 'fe0f')
    .join('-');

function pkgDir(name: string): string {
  return dirname(require.resolve(`${name}/package.json`));
}

function pngIndex(pkg: string, set: string): Map<string, string> {
  const dir = pkgDir(pkg);
  const list = require(`${pkg}/emoji.json`) as Array<Record<string, unknown>>;
  const map = new Map<string, string>();
  const add = (e: Record<string, unknown>) => {
    if (e[`has_img_${set}`] === false) return;
    const file = join(dir, 'img', set, '64', e.image as string);
    if (existsSync(file)) map.set(norm(e.unified as string), file);
  };
  for (const e of list) {
    add(e);
    for (const v of Object.values((e.skin_variations as Record<string, Record<string, unknown>>) ?? {})) add(v);
  }
  return map;
}

function fluentIndex(): { svg: (hex: string) => string | undefined } {
  const icons = require('@iconify-json/fluent-emoji-flat/icons.json') as {
    icons: Record<string, { body: string; width?: number; height?: number }>;
    width: number;
    height: number;
  };
  const chars = require('@iconify-json/fluent-emoji-flat/chars.json') as Record<string, string>;
  const byHex = new Map<string, string>();
  for (const [hex, name] of Object.entries(chars)) byHex.set(norm(hex), name);
  return {
    svg(hex) {
      const name = byHex.get(norm(hex));
      const icon = name ? icons.icons[name] : undefined;
      if (!icon) return undefined;
      const w = icon.width ?? icons.width;
      const h = icon.height ?? icons.height;
      return `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}" viewBox="0 0 ${w} ${h}">${icon.body}</svg>`;
    },
  };
}

async function toRgb(input: Buffer | string): Promise<Buffer> {
  return sharp(input, { density: 144 })
    .resize(SIZE, SIZE, { fit: 'contain', background: '#ffffff' })
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .raw()
    .toBuffer();
}

function heldOut(hexcode: string): boolean {
  const h = createHash('sha256').update(`emoji-holdout:${hexcode}`).digest();
  return h.readUInt16BE(0) % 1000 < HELD_OUT_PER_MILLE;
}

async function main() {
  mkdirSync(outDir, { recursive: true });
  const base = require('emojibase-data/en/data.json') as BaseEntry[];
  const locales = new Map<string, Map<string, Compact>>();
  for (const loc of LOCALES) {
    const list = require(`emojibase-data/${loc}/compact.json`) as Compact[];
    locales.set(loc, new Map(list.map((c) => [c.hexcode, c])));
  }
  const vocab: string[] = [];
  const vocabIndex = new Map<string, number>();
  const ids = (text: string) =>
    tokenizeCaption(text).map((tok) => {
      let id = vocabIndex.get(tok);
      if (id === undefined) {
        id = vocab.length;
        vocab.push(tok);
        vocabIndex.set(tok, id);
      }
      return id;
    });

  const google = pngIndex('emoji-datasource-google', 'google');
  const twitter = pngIndex('emoji-datasource-twitter', 'twitter');
  const fluent = fluentIndex();

  const concepts: Array<Record<string, unknown>> = [];
  const images: Array<{ concept: number; style: string }> = [];
  const pixels: Buffer[] = [];
  let skipped = 0;
  for (const entry of base) {
    const split = heldOut(entry.hexcode) ? 'heldout' : 'train';
    for (const e of [entry, ...(entry.skins ?? [])]) {
      const captions = [];
      for (const loc of LOCALES) {
        const c = loc === 'en' ? { label: e.label, tags: entry.tags } : locales.get(loc)!.get(e.hexcode);
        if (!c?.label) continue;
        const label = ids(c.label);
        const tags = (c.tags ?? []).map(ids).filter((t) => t.length > 0);
        if (label.length) captions.push({ locale: loc, label, tags });
      }
      const chars = [...stripVariationSelectors(e.emoji)];
      const charId = chars.length === 1 ? ids(chars[0]).at(0) : undefined;
      const concept = concepts.length;
      let count = 0;
      const sources: Array<[string, Promise<Buffer | undefined>]> = [
        ['noto', google.has(norm(e.hexcode)) ? toRgb(google.get(norm(e.hexcode))!) : Promise.resolve(undefined)],
        ['twemoji', twitter.has(norm(e.hexcode)) ? toRgb(twitter.get(norm(e.hexcode))!) : Promise.resolve(undefined)],
        ['fluent', fluent.svg(e.hexcode) ? toRgb(Buffer.from(fluent.svg(e.hexcode)!)) : Promise.resolve(undefined)],
      ];
      for (const [style, p] of sources) {
        const rgb = await p.catch(() => undefined);
        if (!rgb) continue;
        pixels.push(rgb);
        images.push({ concept, style });
        count++;
      }
      if (count === 0 || captions.length === 0) {
        skipped++;
        pixels.splice(pixels.length - count, count);
        images.splice(images.length - count, count);
        continue;
      }
      concepts.push({ hexcode: e.hexcode, emoji: e.emoji, label: e.label, group: entry.group ?? -1, split, captions, char: charId });
    }
  }
  writeFileSync(join(outDir, 'images.u8'), Buffer.concat(pixels));
  writeFileSync(join(outDir, 'dataset.json'), JSON.stringify({ size: SIZE, images, concepts }));
  writeFileSync(join(outDir, 'vocab.json'), JSON.stringify({ tokens: vocab, stopwords: [...STOPWORDS] }));
  const held = concepts.filter((c) => c.split === 'heldout').length;
  const styles = new Map<string, number>();
  for (const i of images) styles.set(i.style, (styles.get(i.style) ?? 0) + 1);
  console.log(
    `images ${images.length} (${[...styles].map(([s, n]) => `${s} ${n}`).join(', ')}), ` +
      `concepts ${concepts.length} (${held} held out), vocab ${vocab.length}, skipped ${skipped}`,
  );
}

await main();
