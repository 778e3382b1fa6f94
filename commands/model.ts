// /model: the model in use, its license and attribution, and what its prompt encoder knows.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readManifest } from '../src/runtime/manifest.ts';
import { defaultModelsDir, resolveModelDir } from '../src/runtime/models-dir.ts';
import { noPing } from './format.ts';
import type { CommandContext, CommandReply, CommandSpec, ModelSummary } from './types.ts';

export const spec: CommandSpec = {
  name: 'model',
  description: 'Which model draws the images, its license, and the words it knows',
  options: [],
};

/** Reads a model folder's manifest and vocabulary into a ModelSummary (unknown parts left out). */
export function readModelSummary(name: string, modelsDir: string = defaultModelsDir()): ModelSummary {
  const dir = resolveModelDir(name, modelsDir);
  const m = readManifest(dir);
  const summary: ModelSummary = {
    name: m.name,
    family: m.family,
    description: m.description || undefined,
    license: m.license,
    attribution: m.attribution,
    width: m.sample.width,
    height: m.sample.height,
    defaultSteps: m.defaults.steps,
    defaultGuidance: m.defaults.guidance,
  };
  const p = m.prompt;
  if (p.encoder === 'bag-of-words') {
    try {
      const vocab = JSON.parse(readFileSync(path.join(dir, p.vocab), 'utf8')) as { tokens?: unknown[] } | unknown[];
      const tokens = Array.isArray(vocab) ? vocab : vocab.tokens;
      if (Array.isArray(tokens)) summary.vocabularySize = tokens.length;
    } catch {
      // vocabulary unreadable: leave the size out
    }
    if (p.concepts) {
      try {
        const concepts = JSON.parse(readFileSync(path.join(dir, p.concepts), 'utf8')) as { emoji?: string; label?: string }[];
        if (Array.isArray(concepts)) {
          summary.conceptCount = concepts.length;
          summary.examples = concepts.slice(0, 8).map((c) => `${c.emoji ?? ''} ${c.label ?? ''}`.trim());
        }
      } catch {
        // concepts unreadable: leave them out
      }
    }
  }
  return summary;
}

/** Renders a ModelSummary as a few lines of text. */
export function modelText(s: ModelSummary): string {
  const lines = [`Model: **${s.name}**${s.family ? ` (${s.family}` + (s.width ? `, ${s.width}x${s.height} px)` : ')') : ''}`];
  if (s.description) lines.push(s.description);
  if (s.license) lines.push(`License: ${s.license}`);
  if (s.attribution) lines.push(`Attribution: ${s.attribution}`);
  if (s.vocabularySize !== undefined) {
    const concepts = s.conceptCount !== undefined ? ` and ${s.conceptCount} concepts` : '';
    lines.push(`Knows ${s.vocabularySize} words${concepts}${s.examples?.length ? `, e.g. ${s.examples.join(', ')}` : ''}.`);
  }
  if (s.defaultSteps !== undefined) lines.push(`Defaults: ${s.defaultSteps} steps, guidance ${s.defaultGuidance}.`);
  if (s.device) lines.push(`Running on: ${s.device}`);
  return noPing(lines.join('\n'));
}

/** Describes the engine's model (or the configured default), read from its model folder. */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const health = ctx.engine.health();
  const name = health.model || ctx.defaultModel;
  if (!name) return { kind: 'refusal', message: 'No model is configured.' };
  let summary: ModelSummary;
  try {
    summary = readModelSummary(name, ctx.modelsDir);
  } catch (err) {
    // The error may name server paths: it goes to the log, the user gets a generic line.
    ctx.logger?.error({ err, model: name }, 'model details unavailable');
    summary = { name, description: '(model details unavailable)' };
  }
  summary.device = health.device;
  return { kind: 'model', model: summary, text: modelText(summary) };
}
