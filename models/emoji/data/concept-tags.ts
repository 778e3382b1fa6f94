// Adds each concept's tags to the bundled emoji model's text/concepts.json: for every entry (one
// emoji in one locale), the vocabulary ids of that locale's emojibase-data tags, the words the
// training captions carried beside the name ("gun", "handgun", "revolver" for 🔫 water pistol).
// Content rules resolve a banned word through them when no concept's name holds it. export.py
// writes the same field from the training set; this script adds it to the shipped file without
// rebuilding the images: `npx tsx models/emoji/data/concept-tags.ts`.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tokenizeCaption } from './tokenize.ts';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const textDir = join(here, '..', 'text');
const LOCALES = ['en', 'de', 'es', 'fr', 'it', 'pt', 'nl', 'pl', 'ru', 'ja', 'ko', 'zh', 'sv'];

interface BaseEntry {
  hexcode: string;
  emoji: string;
  tags?: string[];
  skins?: BaseEntry[];
}
interface Compact {
  hexcode: string;
  tags?: string[];
}
interface ConceptEntry {
  emoji: string;
  label: string;
  tokens: number[];
  locale: string;
  split: string;
  tags?: number[];
}

const vocab = JSON.parse(readFileSync(join(textDir, 'vocab.json'), 'utf8')) as { tokens: string[] };
const ids = new Map<string, number>();
vocab.tokens.forEach((t, i) => {
  if (!ids.has(t)) ids.set(t, i);
});
const base = require('emojibase-data/en/data.json') as BaseEntry[];
const locales = new Map<string, Map<string, Compact>>();
for (const loc of LOCALES) {
  const list = require(`emojibase-data/${loc}/compact.json`) as Compact[];
  locales.set(loc, new Map(list.map((c) => [c.hexcode, c])));
}
// As data/build.ts: English tags from the base entry (skin tones share them), other locales' by hexcode.
const tagsOf = new Map<string, number[]>();
for (const entry of base) {
  for (const e of [entry, ...(entry.skins ?? [])]) {
    for (const loc of LOCALES) {
      const tags = loc === 'en' ? entry.tags : locales.get(loc)!.get(e.hexcode)?.tags;
      const words = (tags ?? []).flatMap((t) => tokenizeCaption(t));
      const known = words.map((w) => ids.get(w)).filter((x): x is number => x !== undefined);
      tagsOf.set(`${e.emoji}\u0000${loc}`, [...new Set(known)]);
    }
  }
}
const file = join(textDir, 'concepts.json');
const concepts = JSON.parse(readFileSync(file, 'utf8')) as ConceptEntry[];
let withTags = 0;
const out = concepts.map(({ tags: _old, ...c }) => {
  const tags = tagsOf.get(`${c.emoji}\u0000${c.locale}`) ?? [];
  if (tags.length) withTags++;
  return { ...c, tags };
});
writeFileSync(file, JSON.stringify(out));
console.log(`${concepts.length} entries, ${withTags} with tags`);
