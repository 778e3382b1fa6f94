// Shared by the bot's process, a scale-out worker and the CLI.
// Human-readable log lines for a terminal: pino's JSON line turned into "12:03:04.512 INFO  message key=value".
// Chosen by LOG_FORMAT (auto: readable when stdout is a terminal, JSON lines otherwise).
import type { DestinationStream } from 'pino';

export type LogFormat = 'auto' | 'json' | 'pretty';

const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '\x1b[90m'],
  20: ['DEBUG', '\x1b[36m'],
  30: ['INFO ', '\x1b[32m'],
  40: ['WARN ', '\x1b[33m'],
  50: ['ERROR', '\x1b[31m'],
  60: ['FATAL', '\x1b[35m'],
};
/** Fields every line carries that a reader does not need on each line. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'app']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** One pino JSON line as a readable line (local time, level, message, then the other fields as key=value). */
export function prettyLine(json: string, colour = false): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : json + '\n';
  }
  const [name, ansi] = LEVELS[Number(rec.level)] ?? [String(rec.level).toUpperCase().padEnd(5), ''];
  const level = colour && ansi ? `${ansi}${name}\x1b[0m` : name;
  const fields = Object.entries(rec)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${value(v)}`);
  const time = typeof rec.time === 'number' ? clock(rec.time) : '';
  return `${[time, level, typeof rec.msg === 'string' ? rec.msg : '', ...fields].filter(Boolean).join(' ')}\n`;
}

/** A pino destination writing readable lines to `out` (colours when it is a terminal). */
export function prettyDestination(out: NodeJS.WriteStream = process.stdout): DestinationStream {
  return { write: (line: string) => void out.write(prettyLine(line, out.isTTY === true)) };
}

/** Whether `format` means readable lines on `out`. */
export function wantsPretty(format: LogFormat, out: { isTTY?: boolean } = process.stdout): boolean {
  return format === 'pretty' || (format === 'auto' && out.isTTY === true);
}
