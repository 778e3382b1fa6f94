// Which jobs each browser session asked for, so the page can rebuild its conversation after a
// reload or a restart. Only job ids are kept here (an append-only JSON-lines file under
// DATA_DIR/playground/); the jobs themselves are read back from the engine's job store.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface Line {
  s: string;
  j: string;
}

/** Per-session job ids, oldest first, persisted as JSON lines. */
export class SessionHistory {
  private readonly bySession = new Map<string, string[]>();
  private readonly file: string | null;

  /** Loads `file` if it exists; with `file` null the index lives in memory only. */
  constructor(
    file: string | null,
    private readonly maxPerSession = 200,
  ) {
    this.file = file;
    if (!file) return;
    mkdirSync(path.dirname(file), { recursive: true });
    if (!existsSync(file)) return;
    for (const raw of readFileSync(file, 'utf8').split('\n')) {
      if (!raw.trim()) continue;
      try {
        const l = JSON.parse(raw) as Line;
        if (typeof l.s === 'string' && typeof l.j === 'string') this.remember(l.s, l.j);
      } catch {
        // A torn last line after a crash: skip it.
      }
    }
  }

  /** Records that `session` asked for job `jobId`. */
  add(session: string, jobId: string): void {
    this.remember(session, jobId);
    if (this.file) appendFileSync(this.file, JSON.stringify({ s: session, j: jobId } satisfies Line) + '\n');
  }

  /** The session's job ids, oldest first, at most `limit` of the newest. */
  list(session: string, limit: number): string[] {
    const ids = this.bySession.get(session) ?? [];
    return ids.slice(Math.max(0, ids.length - limit));
  }

  /** Whether the session asked for the job. */
  has(session: string, jobId: string): boolean {
    return this.bySession.get(session)?.includes(jobId) ?? false;
  }

  private remember(session: string, jobId: string): void {
    let ids = this.bySession.get(session);
    if (!ids) this.bySession.set(session, (ids = []));
    if (ids.includes(jobId)) return;
    ids.push(jobId);
    if (ids.length > this.maxPerSession) ids.splice(0, ids.length - this.maxPerSession);
  }
}
