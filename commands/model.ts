// /model: the model in use, its license and attribution, and what its prompt encoder knows.
// /model words <text>: what the model understands of a text before any job runs (the concepts it
// would draw with their weights, the words it drops or does not know) and a few matching words
// of its vocabulary.
import { isSamplerName, SAMPLER_DESCRIPTIONS, SAMPLER_NAMES } from '../src/diffusion/samplers/registry.ts';
import type { ModelInfo, TextUnderstanding } from '../src/jobs/api.ts';
import { usesGuidance } from '../src/jobs/spec.ts';
import { noPing } from './format.ts';
import type { CommandContext, CommandReply, CommandSpec, ModelSummary } from './types.ts';

export const spec: CommandSpec = {
  name: 'model',
  description: 'Which model draws the images, its license, and the words it knows',
  options: [
    {
      name: 'words',
      description: 'Show what the model understands of this text, and words of its vocabulary that match',
      type: 'string',
      maxLength: 500,
    },
  ],
};

const WHY: Record<string, string> = {
  modifier: 'describes another word',
  measure: 'a measure or picture word',
  'no concept': 'names nothing it draws',
};

/** Renders what a model understands of a text. */
export function understandingText(text: string, u: TextUnderstanding): string {
  const lines = [`What **${u.model}** understands of "${text}":`];
  if (!u.concepts) {
    lines.push('This model reads the whole prompt with its text encoder: it has no word list to show.');
    return noPing(lines.join('\n'));
  }
  const weight = (w: number) => (w === 1 ? '' : ` (weight ${w})`);
  lines.push(
    u.understood.length
      ? `Draws: ${u.understood.map((c) => `${c.label}${weight(c.weight)}`).join(', ')}`
      : 'Draws: nothing it knows (the picture will follow no concept).',
  );
  if (u.dropped.length) lines.push(`Not drawn: ${u.dropped.map((d) => `${d.word} (${WHY[d.why] ?? d.why})`).join(', ')}`);
  if (u.unknown.length) lines.push(`Unknown words: ${u.unknown.join(', ')}`);
  if (u.examples.length) lines.push(`In its vocabulary: ${u.examples.map((e) => `${e.emoji} ${e.label}`).join(', ')}`);
  return noPing(lines.join('\n'));
}

/** /model words <text>: asks the engine what the model understands of the text. */
async function executeWords(ctx: CommandContext, raw: string): Promise<CommandReply> {
  // "/model words a rocket" in a text command arrives as the text "words a rocket".
  const text = raw.replace(/^words\b[:\s]*/iu, '').trim();
  if (!text) return { kind: 'refusal', message: 'Give some words, e.g. /model words a cup of hot coffee.' };
  const res = await ctx.engine.understand(text);
  if (!res.ok) return { kind: 'refusal', message: res.message };
  return { kind: 'text', text: understandingText(text, res.understanding), ephemeral: true };
}

/** The /model facts of an engine's ModelInfo. */
export function summaryOf(info: ModelInfo): ModelSummary {
  return {
    name: info.name,
    family: info.family,
    description: info.description,
    license: info.license,
    attribution: info.attribution,
    width: info.width,
    height: info.height,
    vocabularySize: info.vocabularySize,
    conceptCount: info.conceptCount,
    examples: info.examples,
    device: info.device,
    adapter: info.adapter,
    deviceReason: info.deviceReason ?? info.fallbackReason,
    defaultSteps: info.defaults.steps,
    defaultGuidance: info.defaults.guidance,
    defaultNoiseLevel: info.defaults.noiseLevel,
    defaultSampler: info.defaults.sampler,
    ...(info.scheduler
      ? {
          schedulerClass: info.scheduler.className,
          schedulerApplied: info.scheduler.applied,
          schedulerIgnored: info.scheduler.ignored,
          samplersRefused: Object.keys(info.scheduler.samplers).filter((n) => info.scheduler?.samplers[n].refused),
        }
      : {}),
    ...(info.guidanceEmbedding ? { guidanceEmbedding: true } : {}),
    ...(info.prior ? { prior: info.prior.about } : {}),
  };
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
  if (s.defaultSteps !== undefined) {
    const g = s.defaultGuidance === undefined ? '' : usesGuidance(s.defaultGuidance) ? `, guidance ${s.defaultGuidance}` : `, no guidance (cfg ${s.defaultGuidance})`;
    const n = s.defaultNoiseLevel !== undefined ? `, sketch noise level ${s.defaultNoiseLevel}` : '';
    lines.push(`Defaults: ${s.defaultSteps} steps${g}${n}.`);
  }
  if (s.defaultSampler) {
    const others = SAMPLER_NAMES.filter((x) => x !== s.defaultSampler);
    const about = isSamplerName(s.defaultSampler) ? `: ${SAMPLER_DESCRIPTIONS[s.defaultSampler]}` : '';
    lines.push(`Sampler: ${s.defaultSampler}${about}. Others: ${others.join(', ')}.`);
  }
  if (s.schedulerClass) {
    const by = s.defaultSampler ? `, run by ${s.defaultSampler} by default` : '';
    const keys = s.schedulerApplied?.length ? `; config applied: ${s.schedulerApplied.join(', ')}` : '';
    const ignored = s.schedulerIgnored?.length ? `; not used by the class: ${s.schedulerIgnored.join(', ')}` : '';
    lines.push(`Scheduler: ${s.schedulerClass}${by}${keys}${ignored}.`);
    if (s.samplersRefused?.length) lines.push(`Not for this model: ${s.samplersRefused.join(', ')}.`);
  }
  if (s.guidanceEmbedding) lines.push('Guidance: fed to the UNet as an embedding (LCM), one evaluation per step; no negative prompt.');
  if (s.prior) lines.push(`Prior: ${s.prior} Turn it off for one job with \`prior:false\` (\`--prior off\`), or for all yours with /settings prior:false.`);
  if (s.device) {
    const why = s.deviceReason ? ` (${s.deviceReason})` : '';
    lines.push(`Running on: ${s.device}${s.adapter ? `, ${s.adapter}` : ''}${why}`);
  }
  return noPing(lines.join('\n'));
}

/** Describes the engine's model as the engine reports it (the inference worker has it loaded); no model files are read here. */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const words = ctx.options.words;
  if (typeof words === 'string' && words.trim() !== '') return executeWords(ctx, words);
  const health = ctx.engine.health();
  const name = health.model || ctx.defaultModel;
  if (!name) return { kind: 'refusal', message: 'No model is configured.' };
  const res = await ctx.engine.modelInfo();
  let summary: ModelSummary;
  if (res.ok) {
    summary = summaryOf(res.info);
  } else {
    // The engine's message may be terse; the detail is in the logs, the user gets a generic line.
    ctx.logger?.error({ err: new Error(res.message), model: name }, 'model details unavailable');
    summary = { name, description: '(model details unavailable)' };
  }
  summary.device ??= health.device;
  return { kind: 'model', model: summary, text: modelText(summary) };
}
