// Prompt understanding of a bag-of-words model (default: the bundled emoji model) on the natural
// prompt lists in test/fixtures/prompts/: the share of prompts whose single top concept is the
// intended emoji (the first understood concept, with a weight above every other one's; skin tones
// and variation selectors folded). natural-tuning.json is the list the matcher was developed on,
// natural-heldout.json the held-out one. Printed by `npm run eval:model` before the image figures;
// `npm run eval:model -- --prompts` prints only these (no UNet, a second or two).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultModelsDir, readManifest, resolveModelDir } from '../src/runtime/index.ts';
import { loadBagOfWordsText } from '../src/runtime/prompt/bag-of-words.ts';
import { baseEmoji } from '../src/runtime/prompt/emoji.ts';
import type { UnderstoodConcept } from '../src/runtime/types.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const PROMPT_LISTS = ['natural-tuning', 'natural-heldout'] as const;

export interface NaturalPrompt {
  prompt: string;
  /** The intended emoji first, then the same thing drawn as another emoji. */
  emoji: string[];
}

/** A prompt list of test/fixtures/prompts/. */
export function readPromptList(name: string): NaturalPrompt[] {
  const file = join(root, 'test', 'fixtures', 'prompts', `${name}.json`);
  return (JSON.parse(readFileSync(file, 'utf8')) as { prompts: NaturalPrompt[] }).prompts;
}

/** Whether the understood concepts read as the single intended emoji: the first one is among `emoji` and weighs more than the second. */
export function readAsIntended(understood: readonly UnderstoodConcept[], emoji: readonly string[]): boolean {
  const [top, next] = understood;
  if (!top?.emoji) return false;
  if (next && !(top.weight > next.weight)) return false;
  const want = new Set(emoji.map((e) => baseEmoji(e)));
  return want.has(baseEmoji(top.emoji));
}

/** The share per list, printed; with `verbose`, each prompt of the tuning list that misses (never the held-out list's). */
export function evalPrompts(modelName = 'emoji', modelsDir = defaultModelsDir(), verbose = false): { list: string; hits: number; n: number }[] {
  const dir = resolveModelDir(modelName, modelsDir);
  const manifest = readManifest(dir);
  if (manifest.prompt.encoder !== 'bag-of-words') throw new Error(`model ${modelName}: its prompts are not encoded as a bag of words`);
  const encoder = loadBagOfWordsText(dir, manifest.prompt);
  const out: { list: string; hits: number; n: number }[] = [];
  for (const list of PROMPT_LISTS) {
    const prompts = readPromptList(list);
    let hits = 0;
    for (const p of prompts) {
      const { understood, unknown } = encoder.encode(p.prompt);
      const ok = readAsIntended(understood, p.emoji);
      if (ok) hits++;
      if (verbose && !ok && list === 'natural-tuning') {
        const read = understood.map((u) => `${u.label} ${u.weight.toFixed(2)}`).join(', ') || '(nothing)';
        console.log(`  miss ${JSON.stringify(p.prompt)} (${p.emoji[0]}): ${read}${unknown.length ? `; unknown ${unknown.join(', ')}` : ''}`);
      }
    }
    out.push({ list, hits, n: prompts.length });
  }
  console.log('| prompt list | read as the single intended emoji |');
  console.log('| --- | --- |');
  for (const r of out) console.log(`| ${r.list} (${r.n} prompts) | ${((100 * r.hits) / r.n).toFixed(0)}% (${r.hits}/${r.n}) |`);
  return out;
}
