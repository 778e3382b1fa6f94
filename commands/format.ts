// Small text helpers shared by every platform: mention-proof user text, durations, the progress
// bar and the queue status line.
import { formatDuration } from '../src/jobs/duration.ts';

const ZWSP = '\u200b';

/**
 * Neutralizes everything in user text that could ping or link someone: '@everyone', '@here',
 * '<@id>', '<@&role>', '<#channel>' (Discord) and '<!channel>', '<!here>', '<@U..>' (Slack), by
 * putting a zero-width space after '@' and after '<' before '@', '#', '!' or '&'.
 */
export function noPing(text: string): string {
  return text.replace(/@/g, '@' + ZWSP).replace(/<(?=[@#!&])/g, '<' + ZWSP);
}

/** User text for a caption: mention-proof, backticks softened, whitespace collapsed, cut to `max` characters. */
export function quoteUserText(text: string, max = 300): string {
  let s = text.replace(/\s+/g, ' ').trim().replace(/`/g, "'");
  if (s.length > max) s = s.slice(0, max - 1) + '…';
  return noPing(s);
}

/** Milliseconds as a short human duration: "850 ms", "4.2 s", "3 min 5 s" (the engine's one formatter). */
export { formatDuration };

/** A text progress bar, e.g. "▰▰▰▰▱▱▱▱▱▱ 12/33". */
export function progressBar(step: number, total: number, width = 16): string {
  const t = Math.max(1, total);
  const s = Math.min(Math.max(0, step), t);
  const filled = Math.round((s / t) * width);
  return '▰'.repeat(filled) + '▱'.repeat(width - filled) + ` ${s}/${t}`;
}

/** The status line of a queued job: "Job `abc` is next." / "Job `abc` is queued at position 3 (about 40 s)." */
export function queuedText(jobId: string, position: number, estimatedWaitMs: number): string {
  if (position <= 0) return `Job \`${jobId}\` is next; starting now.`;
  const wait = estimatedWaitMs > 0 ? ` (about ${formatDuration(estimatedWaitMs)})` : '';
  const ahead = position === 1 ? '1 job' : `${position} jobs`;
  return `Job \`${jobId}\` is queued: ${ahead} ahead${wait}.`;
}
