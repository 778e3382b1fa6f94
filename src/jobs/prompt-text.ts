// Shared by the bot's process, the inference process and the CLI.
// Prompt text as it enters a job spec: characters that only steer a terminal or the direction of
// text (C0 and C1 controls, ANSI escape sequences, bidi embeddings, overrides and isolates) are
// removed, whitespace is collapsed, and the length limit counts what a reader sees as one
// character (a grapheme cluster: "👍🏽" or "é" written as e + accent is one).
import type { z } from 'zod';

/** ANSI / ECMA-48 escape sequences: CSI (ESC [ ... final byte), OSC (ESC ] ... BEL or ESC \), and two-byte ESC sequences; also their 8-bit C1 forms (CSI U+009B, OSC U+009D). */
const ANSI_SEQUENCE =
  // eslint-disable-next-line no-control-regex
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|(?:\u001b\]|\u009d)[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;

/** Controls that carry no text: C0 except tab, line feed, vertical tab, form feed and carriage return (whitespace, collapsed below), DEL, and C1. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f]/g;

/** Bidi embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and isolates (LRI, RLI, FSI, PDI): the "Trojan Source" characters that reorder how text is shown. */
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/g;

/** The prompt as a job keeps it: escape sequences and control characters removed, runs of whitespace made one space, trimmed. */
export function cleanPromptText(s: string): string {
  return s.replace(ANSI_SEQUENCE, '').replace(CONTROL, '').replace(BIDI_CONTROL, '').replace(/\s+/g, ' ').trim();
}

let segmenter: Intl.Segmenter | null = null;

/** How many user-perceived characters (extended grapheme clusters, Intl.Segmenter) a text has. */
export function characterCount(s: string): number {
  // Pure ASCII without CR LF pairs: one character per code unit, no segmentation needed.
  // eslint-disable-next-line no-control-regex
  if (/^[\u0000-\u007f]*$/.test(s) && !s.includes('\r\n')) return s.length;
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  let n = 0;
  for (const _ of segmenter.segment(s)) n++;
  return n;
}

/**
 * Why a (cleaned) prompt is too long for a limit of `max` characters, or null. Text of more than
 * 16 code units per allowed character is refused without segmenting it (a character of
 * combining marks stacked without end is not a way past the limit).
 */
export function promptLengthProblem(name: string, s: string, max: number): string | null {
  if (s.length > max * 16) return `${name} is too long: far more than ${max} characters`;
  const n = characterCount(s);
  return n > max ? `${name} is too long: ${n} characters (at most ${max})` : null;
}

/** A zod transform for a prompt field: the cleaned text, with an issue when it is too long. */
export function promptTransform(name: string, max: number): (raw: string, ctx: z.RefinementCtx) => string {
  return (raw, ctx) => {
    const s = cleanPromptText(raw);
    const problem = promptLengthProblem(name, s, max);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
    return s;
  };
}
