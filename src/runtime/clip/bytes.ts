// Runs in the inference process and the CLI.
// The byte <-> printable-character table of GPT-2/CLIP byte-level BPE (`bytes_to_unicode`).

/** GPT-2's `bytes_to_unicode`: printable bytes map to themselves, the other 68 to U+0100 onwards, so every byte has a visible character. */
export function bytesToUnicode(): string[] {
  const table: string[] = new Array<string>(256);
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (printable(b)) table[b] = String.fromCodePoint(b);
  }
  for (let b = 0; b < 256; b++) {
    if (!printable(b)) table[b] = String.fromCodePoint(256 + n++);
  }
  return table;
}

/** The 256 byte symbols in CLIP's vocabulary order (printable bytes first, then the remapped ones), as `simple_tokenizer` lists them. */
export function byteSymbolsInVocabOrder(): string[] {
  const table = bytesToUnicode();
  const printable: number[] = [];
  const rest: number[] = [];
  for (let b = 0; b < 256; b++) {
    const cp = table[b].codePointAt(0)!;
    (cp === b ? printable : rest).push(b);
  }
  return [...printable, ...rest].map((b) => table[b]);
}
