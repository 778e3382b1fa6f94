// /info job: everything about one job: its parameters (as it ran: the model's defaults
// resolved), the model, timings, its lineage (the job it follows up, and that job's parent, ...)
// and the `diffuse ...` command line that draws the same image.
import { PRIOR_TECHNIQUES } from './options.ts';
import { canSeeJob, type JobRecord, type JobSpec } from '../src/jobs/api.ts';
import { HIDDEN_JOB_ID, hidePrivateParents } from '../src/jobs/job-privacy.ts';
import { candidateSeeds } from '../src/jobs/spec.ts';
import { commandLineOf } from './command-line.ts';
import { formatDuration, noPing } from './format.ts';
import { optString } from './submit.ts';
import type { CommandContext, CommandReply, CommandSpec } from './types.ts';

export const spec: CommandSpec = {
  name: 'info',
  description: "Show a job's parameters, model, timings, lineage and the command line that redraws it",
  options: [{ name: 'job', description: 'The job id (shown under every result)', type: 'string', required: true, maxLength: 64 }],
};

/** Most ancestors listed. */
const LINEAGE_MAX = 5;

/** The job's details for the caller only; jobs of another platform, and another user's private job (but to admins), are not shown. */
export async function execute(ctx: CommandContext): Promise<CommandReply> {
  const raw = optString(ctx.options, 'job');
  const jobId = raw?.replace(/^`|`$/g, '').trim().toLowerCase();
  if (!jobId || !/^[a-z0-9]{1,64}$/.test(jobId)) return { kind: 'refusal', message: 'Give a job id, e.g. /info job:abc123 (it is shown under every result).' };
  const rec = await ctx.engine.get(jobId);
  if (!rec || rec.owner.platform !== ctx.owner.platform || !canSeeJob(rec.owner, viewerOf(ctx))) return { kind: 'refusal', message: `I can't find job ${jobId}.`, code: 'not_found' };
  // A parent that is another user's private job is not named (the lineage below says "a private job").
  const shown = await hidePrivateParents(rec, viewerOf(ctx), (id) => ctx.engine.get(id));
  return { kind: 'text', text: await infoText(ctx, shown), ephemeral: true };
}

/** The caller as a viewer of jobs: admins see private jobs in /info. */
function viewerOf(ctx: CommandContext): { platform: string; userId: string; isAdmin: boolean } {
  return { platform: ctx.owner.platform, userId: ctx.owner.userId, isAdmin: ctx.actor.isAdmin };
}

/** The parent of a job: the job it follows up (spec.from) or regenerates (parentId). */
function parentOf(rec: Pick<JobRecord, 'parentId' | 'spec'>): { jobId: string; action: string } | null {
  if (rec.spec.from) return rec.spec.from;
  return rec.parentId ? { jobId: rec.parentId, action: 'new seed' } : null;
}

/** A spec's parameters as `name value` pairs, prompts quoted. */
export function parameterLines(spec: JobSpec): string[] {
  const q = (s: string) => `"${noPing(s)}"`;
  const out: string[] = [];
  if (spec.prompt) out.push(`prompt ${q(spec.prompt)}`);
  if (spec.prompt2) out.push(`second prompt ${q(spec.prompt2)}`);
  if (spec.negative) out.push(`negative ${q(spec.negative)}`);
  const seeds = candidateSeeds(spec);
  out.push(seeds.length > 1 ? `seeds ${seeds.join(', ')} (${seeds.length} candidates)` : `seed ${spec.seed}`);
  if (spec.steps !== undefined) out.push(`steps ${spec.steps}`);
  if (spec.guidance !== undefined) out.push(`cfg ${spec.guidance}`);
  if (spec.sampler) out.push(`sampler ${spec.sampler}`);
  if (spec.noiseLevel !== undefined) out.push(`noise level ${spec.noiseLevel}`);
  if (spec.view) out.push(`view ${spec.view}`);
  if (spec.hybrid) out.push(`hybrid filter sigma ${spec.hybrid.sigma}, kernel ${spec.hybrid.kernel}`);
  if (spec.t) out.push(`t ${spec.t.join(', ')}`);
  if (spec.method) out.push(`method ${spec.method}`);
  if (spec.prior === false) out.push('prior off (the network alone)');
  if (spec.image) out.push(`image upload ${spec.image.slice(0, 12)}…`);
  if (spec.mask) out.push(`mask upload ${spec.mask.slice(0, 12)}…`);
  if (spec.source) out.push(`input image ${spec.source.candidate} of ${spec.source.parent === HIDDEN_JOB_ID ? 'a private job' : `job ${spec.source.parent}`}`);
  return out;
}

async function infoText(ctx: CommandContext, rec: JobRecord): Promise<string> {
  const ran = rec.result?.spec ?? rec.spec;
  const model = rec.result?.model ?? rec.spec.model;
  const lines = [`Job \`${rec.jobId}\`: ${rec.spec.technique}, ${rec.status}${rec.error ? ` (${noPing(rec.error)})` : ''}`];
  lines.push(`Model: ${model ?? `${ctx.defaultModel ?? 'the configured one'} (configured default)`}`);
  lines.push(`Parameters${rec.result ? '' : " (as given; the model's defaults fill the rest when it runs)"}: ${parameterLines(ran).join('; ')}`);
  const t = rec.result?.timings;
  const when = new Date(rec.createdAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  if (t) {
    const calls = t.unetCalls !== undefined ? `, ${t.unetCalls} UNet calls` : '';
    lines.push(`Timings: asked ${when}; waited ${formatDuration(t.queuedMs)}, ran ${formatDuration(t.totalMs)} (model ${formatDuration(t.modelMs)}, ${Math.round(t.perStepMs)} ms per step${calls})`);
  } else {
    lines.push(`Asked ${when}`);
  }
  // The model's coarse prior, where it has one and the job used it (the model's own sentence, with its figures).
  if (ran.prior !== false && PRIOR_TECHNIQUES.includes(rec.spec.technique)) {
    const facts = await ctx.engine.modelInfo(model).catch(() => null);
    if (facts?.ok && facts.info.prior) lines.push(`Prior: on. ${facts.info.prior.about}`);
  }
  if (t?.frameDecoder && rec.result?.files.gif)
    lines.push(`GIF frames and previews: drawn by a ${t.frameDecoder}; the image by the model's VAE`);
  const chain: string[] = [];
  let p = parentOf(rec);
  const seen = new Set([rec.jobId]);
  while (p && chain.length < LINEAGE_MAX && !seen.has(p.jobId)) {
    seen.add(p.jobId);
    const hidden = p.jobId === HIDDEN_JOB_ID;
    const parent = hidden ? null : await ctx.engine.get(p.jobId);
    // Another user's private job is named without its id, and its ancestors stay unknown.
    if (hidden || (parent && !canSeeJob(parent.owner, viewerOf(ctx)))) {
      chain.push(`${noPing(p.action)} of a private job`);
      p = null;
      break;
    }
    chain.push(`${noPing(p.action)} of \`${p.jobId}\``);
    p = parent ? parentOf(parent) : null;
  }
  lines.push(chain.length ? `Lineage: ${chain.join(' ← ')}${p ? ' ← …' : ''}` : 'Lineage: an original job (no parent)');
  const line = commandLineOf(ran, model);
  const note = candidateSeeds(ran).length > 1 ? ' (the grid; candidate k alone: --seed seed + k - 1 without --count)' : '';
  const uploads = ran.image
    ? ' (uploads are read from the DATA_DIR of this bot)'
    : ran.source
      ? ' (the earlier result is read from the DATA_DIR of this bot)'
      : '';
  if (ran.source?.parent === HIDDEN_JOB_ID) lines.push("Draw it again: not shown (it starts from another user's private job).");
  else lines.push(`Draw it again${note}${uploads}:\n\`\`\`\n${line}\n\`\`\``);
  return lines.join('\n');
}
