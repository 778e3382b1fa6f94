// The messages the bot shows on Discord: queue status, progress (bar + small preview), the final
// result (PNG + GIF + caption + buttons) and failures. Every payload disables mentions.
import { ActionRowBuilder, AttachmentBuilder, ButtonBuilder, ButtonStyle, type MessageActionRowComponentBuilder } from 'discord.js';
import { buildCaption, gifTitle } from '../../../commands/caption.ts';
import { progressBar, queuedText, quoteUserText } from '../../../commands/format.ts';
import type { JobResult, JobSpec } from '../../jobs/api.ts';
import { actionRows } from '../presentation/follow-up-buttons.ts';

/** Mentions parsed from nothing: no @everyone, role or user ping can come out of user text. */
export const NO_MENTIONS = { parse: [] as never[], repliedUser: false };

/** A message payload usable for editReply, channel.send and message.edit. */
export interface Payload {
  content: string;
  files?: AttachmentBuilder[];
  /** [] drops earlier attachments on edit. */
  attachments?: never[];
  components?: ActionRowBuilder<MessageActionRowComponentBuilder>[];
  allowedMentions: typeof NO_MENTIONS;
}

/** Button actions and their custom ids ("diffuse:<action>:<jobId>"). */
export type ButtonAction = 'regen' | 'delete' | 'cancel' | 'info';

const PREFIX = 'diffuse';

/** The custom id of a button. */
export function customId(action: ButtonAction, jobId: string): string {
  return `${PREFIX}:${action}:${jobId}`;
}

/** Parses a custom id made by customId; null for others. */
export function parseCustomId(id: string): { action: ButtonAction; jobId: string } | null {
  const m = /^diffuse:(regen|delete|cancel|info):([a-z0-9]{1,64})$/.exec(id);
  return m ? { action: m[1] as ButtonAction, jobId: m[2] } : null;
}

/** The job id a result message stands for: from its buttons' custom ids, else from "job `id`" in its text. */
export function jobIdOfMessage(msg: { content?: string | null; components?: unknown }): string | null {
  const stack: unknown[] = [msg.components];
  while (stack.length > 0) {
    const x = stack.pop();
    if (Array.isArray(x)) stack.push(...x);
    else if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      for (const key of ['custom_id', 'customId']) {
        if (typeof o[key] === 'string') {
          const p = parseCustomId(o[key] as string);
          if (p) return p.jobId;
        }
      }
      if (o.components) stack.push(o.components);
      if (o.data) stack.push(o.data);
    }
  }
  const m = /\bjob `([a-z0-9]{1,64})`/.exec(msg.content ?? '');
  return m ? m[1] : null;
}

function row(...buttons: ButtonBuilder[]): ActionRowBuilder<MessageActionRowComponentBuilder> {
  return new ActionRowBuilder<MessageActionRowComponentBuilder>().addComponents(...buttons);
}

/** The buttons under a result: 🔁 new seed, ℹ️ info (the job's /info, to the presser only) and ❌ delete. */
export function resultButtons(jobId: string): ActionRowBuilder<MessageActionRowComponentBuilder> {
  return row(
    new ButtonBuilder().setCustomId(customId('regen', jobId)).setEmoji('🔁').setLabel('New seed').setStyle(ButtonStyle.Secondary),
    new ButtonBuilder().setCustomId(customId('info', jobId)).setEmoji('ℹ️').setLabel('Info').setStyle(ButtonStyle.Secondary),
    new ButtonBuilder().setCustomId(customId('delete', jobId)).setEmoji('❌').setLabel('Delete').setStyle(ButtonStyle.Secondary),
  );
}

/** The follow-up buttons of a result (U n, V n, zoom out, pan; custom ids "act:<jobId>:<action>:<n>"), without reroll: resultButtons has 🔁. */
export function followUpButtons(jobId: string, spec: JobSpec): ActionRowBuilder<MessageActionRowComponentBuilder>[] {
  return actionRows(jobId, spec)
    .map((r) => r.filter((b) => b.action !== 're'))
    .filter((r) => r.length > 0)
    .map((r) => row(...r.map((b) => new ButtonBuilder().setCustomId(b.id).setLabel(b.label).setStyle(ButtonStyle.Secondary))));
}

/** The button under a waiting or running job: cancel. */
export function cancelButton(jobId: string): ActionRowBuilder<MessageActionRowComponentBuilder> {
  return row(new ButtonBuilder().setCustomId(customId('cancel', jobId)).setLabel('Cancel').setStyle(ButtonStyle.Secondary));
}

/** One line naming what a job draws, e.g. "imagine "a rocket ship"". */
export function jobTitle(spec: JobSpec): string {
  const q = (s: string | undefined) => `"${quoteUserText(s ?? '', 120)}"`;
  switch (spec.technique) {
    case 'anagram':
      return `**anagram** ${q(spec.prompt)} ↔ ${q(spec.prompt2)}`;
    case 'hybrid':
      return `**hybrid** ${q(spec.prompt)} / ${q(spec.prompt2)}`;
    case 'noise':
      return `**noise** t = ${(spec.t ?? []).join(', ')}`;
    case 'denoise':
      return `**denoise** t = ${spec.t?.[0]} (${spec.method})`;
    default:
      return `**${spec.technique}**${spec.prompt ? ' ' + q(spec.prompt) : ''}`;
  }
}

/** A plain text payload (no attachments, no buttons). */
export function textPayload(content: string): Payload {
  return { content: content.slice(0, 2000), components: [], allowedMentions: NO_MENTIONS };
}

/** The queue status of a job, with a cancel button; `reading`: what the model understood of the prompt. */
export function queuedPayload(jobId: string, spec: JobSpec, position: number, estimatedWaitMs: number, note?: string, reading?: string): Payload {
  const lines = [jobTitle(spec), ...(reading ? [reading] : []), queuedText(jobId, position, estimatedWaitMs)];
  if (note) lines.push(note);
  return { content: lines.join('\n'), components: [cancelButton(jobId)], allowedMentions: NO_MENTIONS };
}

/** The progress of a running job: a bar and, when given, a small preview image replacing the previous one. */
export function progressPayload(jobId: string, spec: JobSpec, step: number, total: number, preview?: Buffer, reading?: string): Payload {
  const content = [jobTitle(spec), ...(reading ? [reading] : []), `${progressBar(step, total)} · job \`${jobId}\``].join('\n');
  const p: Payload = { content, components: [cancelButton(jobId)], allowedMentions: NO_MENTIONS };
  if (preview) p.files = [new AttachmentBuilder(preview, { name: 'preview.png', description: `step ${step} of ${total}` })];
  return p;
}

/** The final result: PNG and GIF attachments, the caption, and the 🔁 / ❌ buttons. */
export function resultPayload(result: JobResult, png: Buffer, gif: Buffer | null, note?: string): Payload {
  const base = `${result.spec.technique}-${result.jobId}`;
  const files = [new AttachmentBuilder(png, { name: `${base}.png`, description: `final image, seed ${result.spec.seed}` })];
  if (gif) files.push(new AttachmentBuilder(gif, { name: `${base}.gif`, description: gifTitle(result.spec.technique) }));
  return {
    // The note is the adapter's own text (a mention of the requester renders, but pings nobody: mentions are off).
    content: note ? `${buildCaption(result, { style: 'discord', maxLength: 1990 - note.length })}\n${note}` : buildCaption(result, { style: 'discord' }),
    files,
    attachments: [],
    components: [...followUpButtons(result.jobId, result.spec), resultButtons(result.jobId)],
    allowedMentions: NO_MENTIONS,
  };
}

/** A job that ended without a result. */
export function endedPayload(jobId: string, spec: JobSpec | null, text: string): Payload {
  const head = spec ? `${jobTitle(spec)}\n` : '';
  return { content: `${head}${text} (job \`${jobId}\`)`.slice(0, 2000), attachments: [], components: [], allowedMentions: NO_MENTIONS };
}
