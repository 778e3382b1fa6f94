// Shared by the bot's process, the inference process and the CLI.
// The one duration formatter: short for captions and queue lines ("850 ms", "4.2 s", "3 min 5 s"),
// spelled out for limits in sentences ("1 second", "90 seconds", "1.5 minutes").

/** Milliseconds as a human duration; `words` spells the unit out (for limits stated in a sentence). */
export function formatDuration(ms: number, style: 'short' | 'words' = 'short'): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (style === 'words') {
    const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
    if (ms < 120_000) return plural(Math.round(ms / 1000), 'second');
    return plural(+(ms / 60_000).toFixed(1), 'minute');
  }
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const total = Math.round(ms / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return s === 0 ? `${m} min` : `${m} min ${s} s`;
}
