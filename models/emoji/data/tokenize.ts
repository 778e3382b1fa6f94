// Caption tokenizer of the bundled emoji model's bag-of-words text encoder. The runtime's prompt
// encoder splits prompts the same way, so training captions and prompts meet in one vocabulary.

/** Function words that carry no concept; dropped from captions and prompts. */
export const STOPWORDS = new Set([
  'a', 'an', 'the', 'of', 'with', 'and', 'or', 'in', 'on', 'at', 'to', 'for', 'from', 'by', 'is', 'are',
  'some', 'its', 'his', 'her', 'their', 'my', 'your', 'this', 'that', 'de', 'la', 'le', 'les', 'el', 'der',
  'die', 'das', 'und', 'mit', 'en', 'et', 'y', 'con', 'du', 'des', 'un', 'une', 'ein', 'eine',
]);

/** NFKC, lower case, runs of letters/digits/marks and single pictographs; stopwords removed. */
export function tokenizeCaption(text: string): string[] {
  const out: string[] = [];
  const re = /[\p{L}\p{N}\p{M}]+|\p{Extended_Pictographic}/gu;
  for (const m of text.normalize('NFKC').toLowerCase().matchAll(re)) {
    if (!STOPWORDS.has(m[0])) out.push(m[0]);
  }
  return out;
}
