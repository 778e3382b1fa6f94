// The Block Kit of a finished job's status message: its text, then one actions block per row of
// follow-up buttons (action_id = the stateless "act:<jobId>:<action>:<n>"; actions.ts handles them),
// the last row ending with Info ("info:<jobId>": the job's /info, to the presser only).
import type { types } from '@slack/bolt';
import type { JobSpec } from '../../jobs/api.ts';
import { actionRows } from '../presentation/follow-up-buttons.ts';

/** The Block Kit blocks of a finished status message: its text as a section, then the follow-up rows. */
export function resultBlocks(text: string, jobId: string, spec: JobSpec): types.KnownBlock[] {
  const rows = actionRows(jobId, spec).map((row, i): types.KnownBlock => ({
    type: 'actions',
    block_id: `follow-ups-${i}`,
    elements: row.map((b) => ({
      type: 'button' as const,
      action_id: b.id,
      value: b.id,
      text: { type: 'plain_text' as const, text: b.label, emoji: true },
    })),
  }));
  const info = { type: 'button' as const, action_id: `info:${jobId}`, value: jobId, text: { type: 'plain_text' as const, text: 'ℹ️ Info', emoji: true } };
  const last = rows.at(-1);
  if (last && last.type === 'actions' && last.elements.length < 5) last.elements.push(info);
  else rows.push({ type: 'actions', block_id: 'job-info', elements: [info] });
  return [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }, ...rows];
}
