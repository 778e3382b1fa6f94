// Runs in the inference process and the CLI.
// The word-level rules of prompt understanding (phrase-match.ts): English plural folding and
// simple inflections, and the words that split a prompt into parts (prepositions, "and", "of")
// or that measure or depict what follows "of" ("a cup of", "an oil painting of").

/** Prepositions (English and a few of the model's other languages): what follows is an attached part. */
export const ATTACH = new Set([
  'with', 'in', 'on', 'at', 'by', 'near', 'under', 'over', 'above', 'below', 'behind', 'beside',
  'around', 'inside', 'into', 'through', 'across', 'along', 'against', 'among', 'between', 'from',
  'to', 'for', 'without', 'during', 'while', 'beneath', 'underneath', 'next', 'onto', 'like',
  'mit', 'con', 'avec', 'com', 'met', 'med', 'sur', 'dans', 'auf', 'im', 'с', 'в', 'на',
]);
/** "and" / "or" in the model's languages: what follows is another main part. */
export const COORD = new Set(['and', 'or', '&', 'und', 'oder', 'et', 'ou', 'y', 'o', 'e', 'och', 'и']);
/** Measure and picture words: "X of Y" draws Y when X is one of these without a name of several words. */
export const MEASURE = new Set([
  'cup', 'mug', 'glass', 'bowl', 'plate', 'slice', 'piece', 'bunch', 'stack', 'pile', 'pair', 'loaf',
  'pot', 'jar', 'bottle', 'box', 'bag', 'basket', 'bucket', 'can', 'handful', 'lot', 'kind', 'type',
  'sort', 'group', 'herd', 'flock', 'pack', 'set', 'bit', 'scoop', 'spoonful', 'bar', 'drop',
  'painting', 'picture', 'photo', 'photograph', 'drawing', 'image', 'illustration', 'portrait',
  'sketch', 'render', 'rendering', 'cartoon', 'icon', 'emoji', 'sculpture', 'statue', 'view',
]);

/** Whether a word splits a prompt into parts (a preposition, "and", "of"). */
export function isBreakWord(word: string): boolean {
  return word === 'of' || ATTACH.has(word) || COORD.has(word);
}

/** The comparison key of a word: English plurals folded (berries -> berry, boxes -> box, dogs -> dog). */
export function stemKey(word: string): string {
  const w = word;
  if (w.length > 4 && w.endsWith('ies')) return w.slice(0, -3) + 'y';
  if (w.length > 4 && w.endsWith('ves')) return w.slice(0, -3) + 'f';
  if (w.length > 3 && /(s|x|z|ch|sh)es$/u.test(w)) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us')) return w.slice(0, -1);
  return w;
}

/** The word and its simple inflections, most literal first (snowy -> snow, running -> run, baked -> bake). */
export function wordForms(word: string): string[] {
  const out = [word];
  const add = (w: string) => {
    if (w.length >= 3 && !out.includes(w)) out.push(w);
  };
  const dedouble = (w: string) => (/([^aeiou])\1$/u.test(w) ? w.slice(0, -1) : w);
  if (word.length > 4 && word.endsWith('ves')) add(word.slice(0, -3) + 'fe');
  for (const suffix of ['ing', 'ed']) {
    if (word.length > suffix.length + 2 && word.endsWith(suffix)) {
      const base = word.slice(0, -suffix.length);
      add(base);
      add(base + 'e');
      add(dedouble(base));
    }
  }
  if (word.length > 4 && word.endsWith('y')) {
    const base = word.slice(0, -1);
    add(base);
    add(dedouble(base));
    if (base.endsWith('i')) add(base.slice(0, -1) + 'y');
  }
  return out;
}
