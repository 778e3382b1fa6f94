// Runs in the bot's process (and a scale-out front-end).
// Text as content rules see it. Normalisation in the manner of Unicode TS #39 (security mechanisms):
// NFKC, default-ignorable code points removed (zero-width spaces and joiners, soft hyphens,
// variation selectors, ...), lower case, then a fold of the common look-alikes of Latin letters
// (Cyrillic, Greek and Armenian letters, dotless i, small capitals) onto those letters. The fold
// is a small table taken from confusables.txt's mappings to Latin lower-case letters, not the whole
// file: digits and symbols are not folded. `_` and dashes become spaces, and one form of the text
// also splits camelCase, letter/digit runs and invisible characters ("FireTruck9" -> "fire truck 9").
// English plurals are folded on the rule's side (see pluralNode).
import type { Node } from './linear-regex.ts';

/** Lower-case look-alikes of Latin letters -> the Latin letter (after NFKC and lower-casing). */
// prettier-ignore
const CONFUSABLES: Record<string, string> = {
  // Cyrillic
  а: 'a', в: 'b', с: 'c', ԁ: 'd', е: 'e', һ: 'h', н: 'h', і: 'i', ј: 'j', к: 'k', ӏ: 'l', м: 'm',
  о: 'o', р: 'p', ԛ: 'q', ѕ: 's', т: 't', ԝ: 'w', х: 'x', у: 'y', ү: 'y', ɡ: 'g',
  // Greek
  α: 'a', ε: 'e', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', γ: 'y', η: 'n',
  ω: 'w',
  // Armenian
  օ: 'o', ո: 'n', ս: 'u', հ: 'h', զ: 'q',
  // Latin variants that survive NFKC and lower-casing
  ı: 'i', ɑ: 'a', ɩ: 'i', ᴀ: 'a', ʙ: 'b', ᴄ: 'c', ᴅ: 'd', ᴇ: 'e', ɢ: 'g', ʜ: 'h', ɪ: 'i', ᴊ: 'j',
  ᴋ: 'k', ʟ: 'l', ᴍ: 'm', ɴ: 'n', ᴏ: 'o', ᴘ: 'p', ʀ: 'r', ꜱ: 's', ᴛ: 't', ᴜ: 'u', ᴠ: 'v', ᴡ: 'w',
  ʏ: 'y', ᴢ: 'z',
};
const CONFUSABLE = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'gu');
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;
const SEPARATORS = /[_\p{Pd}]/gu;
const CAMEL = /(?<=\p{Ll})(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})|(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})/gu;

/** NFKC and lower case: the text /patterns/ have always been matched against. */
export function plainForm(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** NFKC, default-ignorable code points removed, lower case, Latin look-alikes folded; `split` also breaks words apart at camelCase, letter/digit and invisible-character boundaries. */
function fold(text: string, split: boolean): string {
  // Removed, an invisible character cannot break a word apart ("s\u200bkull"); in the split form it
  // separates words as a space would ("fire\u2060truck").
  let t = text.normalize('NFKC').replace(IGNORABLE, split ? ' ' : '');
  if (split) t = t.replace(CAMEL, ' ');
  return t
    .toLowerCase()
    .replace(CONFUSABLE, (ch) => CONFUSABLES[ch])
    .replace(SEPARATORS, ' ');
}

/** A word or phrase rule as it is matched: normalised and folded like the text, `_` and dashes as spaces (camelCase is not split: "iPhone" stays one word). */
export function ruleForm(rule: string): string {
  return fold(rule, false);
}

/** The forms of a prompt the rules are matched against: plain (NFKC, lower case; for /patterns/ only), and the folded ones (folded; folded with camelCase split), each once. */
export interface TextForms {
  plain: string;
  folded: string[];
}

export function textForms(text: string): TextForms {
  const a = fold(text, false);
  const b = fold(text, true);
  return { plain: plainForm(text), folded: a === b ? [a] : [a, b] };
}

/** English singular candidates of a word (the prompt encoder's plural stripping, plus -ves): "skulls" -> skull, "berries" -> berry, "knives" -> knife. */
function singulars(word: string): string[] {
  if (word.length < 4 || !word.endsWith('s') || /(?:ss|us|is)$/.test(word)) return [];
  const out = [word.slice(0, -1)];
  if (word.endsWith('es')) out.push(word.slice(0, -2));
  if (word.endsWith('ies')) out.push(`${word.slice(0, -3)}y`);
  if (word.endsWith('ves')) out.push(`${word.slice(0, -3)}f`, `${word.slice(0, -3)}fe`);
  return out;
}

/** The stem of a singular and the endings of its singular and plural forms: berry -> berr + (y|ies|ys). */
function inflections(base: string): { stem: string; endings: string[] } {
  if (/[^aeiou]y$/.test(base)) return { stem: base.slice(0, -1), endings: ['y', 'ies', 'ys'] };
  if (base.endsWith('fe')) return { stem: base.slice(0, -2), endings: ['fe', 'fes', 'ves'] };
  if (base.endsWith('f')) return { stem: base.slice(0, -1), endings: ['f', 'fs', 'ves'] };
  return { stem: base, endings: ['', 's', 'es'] };
}

const literal = (s: string): Node[] =>
  [...s].map((ch) => ({ k: 'char', source: /[\^$\\.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch }));

/**
 * One word of a rule as a pattern. A word ending in a Latin letter matches its English singular
 * and plural forms ("gun" also matches "guns", "skulls" also matches "skull", "berry" "berries");
 * any other word matches literally.
 */
export function pluralNode(word: string): Node {
  if (!/[a-z]$/.test(word)) return { k: 'seq', items: literal(word) };
  const bases = [...new Set([word, ...singulars(word)])];
  const options: Node[] = bases.map((b) => {
    const { stem, endings } = inflections(b);
    return {
      k: 'seq',
      items: [
        ...literal(stem),
        { k: 'alt', options: endings.map((e): Node => ({ k: 'seq', items: literal(e) })) },
      ],
    };
  });
  return options.length === 1 ? options[0] : { k: 'alt', options };
}

/** A word or phrase (already in ruleForm) as a pattern: each word with its plural forms (or literally, when `plurals` is false), runs of white space as \s+, no letter, digit or _ either side. */
export function phraseNode(phrase: string, plurals = true): Node {
  const items: Node[] = [{ k: 'assert', kind: 'noLetterBefore' }];
  for (const part of phrase.trim().split(/(\s+)/u)) {
    if (part === '') continue;
    if (/^\s+$/u.test(part))
      items.push({ k: 'rep', node: { k: 'char', source: '\\s' }, min: 1, max: Infinity });
    else if (plurals) items.push(...wordItems(part));
    else items.push(...literal(part));
  }
  items.push({ k: 'assert', kind: 'noLetterAfter' });
  return { k: 'seq', items };
}

/** A part between spaces: its words (letters and digits) with plural forms, other characters literally. */
function wordItems(part: string): Node[] {
  const items: Node[] = [];
  for (const piece of part.split(/([\p{L}\p{N}\p{M}]+)/u)) {
    if (piece === '') continue;
    items.push(/^[\p{L}\p{N}\p{M}]+$/u.test(piece) ? pluralNode(piece) : { k: 'seq', items: literal(piece) });
  }
  return items;
}
