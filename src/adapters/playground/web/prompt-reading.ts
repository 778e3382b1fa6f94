// Runs in the browser (the playground page).
// What the model understands of the prompt being typed, shown under the composer before anything
// is sent: "Reads as: 🚀 rocket ship · not drawn: red (modifier) · unknown: zorblax". Asked of
// GET /api/understand a moment after typing stops; nothing is shown for models that read prompts
// whole (a CLIP text encoder) or for commands without a prompt.
import { fetchUnderstanding, type Understanding } from './api.ts';

/** Commands whose text is prompts, and how many ('|' separates two). */
const PROMPTED = /^\/(imagine|sketch|inpaint|anagram|hybrid)\b/i;
const WAIT_MS = 350;

/** The prompts of a composer text: what follows the command up to its first option; plain words are an /imagine prompt. */
export function promptsOf(text: string): string[] {
  const t = text.trim();
  if (t === '') return [];
  let body: string;
  if (t.startsWith('/')) {
    if (!PROMPTED.test(t)) return [];
    body = t.replace(PROMPTED, '');
  } else body = t;
  body = body.split(/\s--?[a-z]/i)[0];
  return body
    .split('|')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function describe(all: Understanding[]): string | null {
  if (all.some((u) => !u.concepts)) return null;
  const understood = all.flatMap((u) => u.understood.map((c) => c.label));
  const dropped = all.flatMap((u) => u.dropped.map((d) => `${d.word} (${d.why})`));
  const unknown = all.flatMap((u) => u.unknown);
  const parts = [understood.length > 0 ? `Reads as: ${understood.join(', ')}` : 'Reads as: nothing it can draw'];
  if (dropped.length > 0) parts.push(`not drawn: ${dropped.join(', ')}`);
  if (unknown.length > 0) parts.push(`unknown: ${unknown.join(', ')}`);
  return parts.join(' · ');
}

/** The reading line under the composer. */
export class PromptReading {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pending: AbortController | null = null;
  private shownFor = '';

  constructor(private readonly el: HTMLElement) {}

  /** Called on every change of the composer's text. */
  update(text: string): void {
    if (this.timer) clearTimeout(this.timer);
    const prompts = promptsOf(text);
    const key = prompts.join('|');
    if (prompts.length === 0) return this.show(null, '');
    if (key === this.shownFor) return;
    this.timer = setTimeout(() => void this.ask(prompts, key), WAIT_MS);
  }

  private async ask(prompts: string[], key: string): Promise<void> {
    this.pending?.abort();
    const ctl = new AbortController();
    this.pending = ctl;
    try {
      const all = await Promise.all(prompts.map((p) => fetchUnderstanding(p, ctl.signal).then((r) => r.understanding)));
      if (!ctl.signal.aborted) this.show(describe(all), key);
    } catch {
      if (!ctl.signal.aborted) this.show(null, '');
    }
  }

  private show(line: string | null, key: string): void {
    this.shownFor = key;
    this.el.textContent = line ?? '';
    this.el.hidden = line === null;
  }
}
