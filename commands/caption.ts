// The caption under a result, shared by every platform: technique, prompts, seed, steps,
// guidance, sampler (when not ddpm), model, time, what the model understood and the words it did not know. User text
// is made mention-proof (adapters also disable mentions).
import type { JobResult } from '../src/jobs/api.ts';
import { candidateSeeds, usesGuidance } from '../src/jobs/spec.ts';
import { formatDuration, noPing, quoteUserText } from './format.ts';

export { gifTitle } from './gif-title.ts';

/** How to mark bold text: Discord markdown (**x**), Slack mrkdwn (*x*), or plain. */
export type CaptionStyle = 'discord' | 'slack' | 'plain';

export interface CaptionOptions {
  style?: CaptionStyle;
  /** Longest caption in characters (Discord's message limit is 2000). */
  maxLength?: number;
  /** Extra line at the end, e.g. "again with a new seed, from job abc". */
  note?: string;
}

/** The fields of a caption, for platforms that lay them out themselves (Slack blocks, web). */
export interface CaptionParts {
  title: string;
  prompts: string[];
  settings: string;
  understood?: string;
  unknown?: string;
  job: string;
  /** The job this one follows up, e.g. "U2 of job abc" (follow-ups and rerolls only). */
  from?: string;
}

const q = (s: string) => `"${quoteUserText(s)}"`;

/** The caption's parts of a finished job (every user-supplied string already mention-proof). */
export function captionParts(r: JobResult): CaptionParts {
  const s = r.spec;
  const prompts: string[] = [];
  switch (s.technique) {
    case 'imagine':
    case 'inpaint':
      prompts.push(q(s.prompt));
      break;
    case 'sketch':
      if (s.prompt) prompts.push(q(s.prompt));
      prompts.push(`noise level ${s.noiseLevel}`);
      break;
    case 'anagram':
      prompts.push(`${q(s.prompt)} ↔ ${q(s.prompt2 ?? '')} (view: ${s.view})`);
      break;
    case 'hybrid':
      prompts.push(`far: ${q(s.prompt)} · near: ${q(s.prompt2 ?? '')}`);
      break;
    case 'noise':
      prompts.push(`t = ${(s.t ?? []).join(', ')}`);
      break;
    case 'denoise':
      prompts.push(`t = ${s.t?.[0]} · method: ${s.method}`);
      break;
  }
  if (s.negative) prompts.push(`negative: ${q(s.negative)}`);
  // Candidates: seed, seed+1, ... left to right, top to bottom in the grid.
  const seeds = candidateSeeds(s);
  const settings = [seeds.length > 1 ? `${seeds.length} candidates, seeds ${seeds.join(', ')}` : `seed ${s.seed}`];
  // Effective values: what the job ran with (the user's, or the model's defaults the engine resolved).
  // SDEdit runs the steps below its start level: "5 of 33 steps" is what the progress counted.
  const ran = s.technique === 'sketch' && s.noiseLevel ? `${s.steps - s.noiseLevel} of ${s.steps} steps` : `${s.steps} steps`;
  if (s.technique !== 'noise') settings.push(ran, usesGuidance(s.guidance) ? `guidance ${s.guidance}` : 'no guidance');
  // The sampler only when it is not the study's ddpm (older results have none recorded).
  if (s.sampler && s.sampler !== 'ddpm') settings.push(`sampler ${s.sampler}`);
  if (s.prior === false) settings.push('prior off');
  settings.push(noPing(r.model), formatDuration(r.timings.totalMs));
  // An upscale (U) is a sketch job by its technique; it is named for what it does.
  const parts: CaptionParts = { title: s.upscale ? 'upscale' : s.technique, prompts, settings: settings.join(' · '), job: `job ${r.jobId}` };
  if (s.from) parts.from = `${noPing(quoteUserText(s.from.action, 40))} of job ${s.from.jobId}`;
  if (r.understood.length > 0) parts.understood = `understood: ${noPing(r.understood.map((c) => c.label).join(', '))}`;
  if (r.unknown.length > 0) parts.unknown = `unknown words: ${r.unknown.map((w) => quoteUserText(w, 40)).join(', ')}`;
  return parts;
}

/** A finished job's caption as one message text, cut to maxLength (default 1900). */
export function buildCaption(r: JobResult, options: CaptionOptions = {}): string {
  const style = options.style ?? 'discord';
  const bold = (t: string) => (style === 'discord' ? `**${t}**` : style === 'slack' ? `*${t}*` : t);
  const code = (t: string) => (style === 'plain' ? t : `\`${t}\``);
  const p = captionParts(r);
  const lines = [`${bold(p.title)} ${p.prompts.join(' · ')}`, p.settings];
  if (p.understood) lines.push(p.understood);
  if (p.unknown) lines.push(p.unknown);
  const from = r.spec.from;
  lines.push(`job ${code(r.jobId)}` + (from ? ` · ${noPing(quoteUserText(from.action, 40))} of job ${code(from.jobId)}` : ''));
  if (options.note) lines.push(noPing(options.note));
  let text = lines.join('\n');
  const max = options.maxLength ?? 1900;
  if (text.length > max) text = text.slice(0, max - 1) + '…';
  return text;
}
