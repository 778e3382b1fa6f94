// A one-line progress bar on a terminal's stderr, redrawn in place with '\r'. On anything that
// is not a TTY (pipes, files, CI logs) it draws nothing.

/** The part of a stream the bar uses (process.stderr fits). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

/** A progress bar; every method is a no-op when the stream is not a TTY. */
export interface ProgressBar {
  readonly enabled: boolean;
  update(step: number, total: number): void;
  /** Clears the bar's line (call before printing anything else). */
  done(): void;
}

/** The bar's text for one step: `label [#####.....]  12/33  1.5s`, fitted to `columns`. */
export function renderProgress(
  label: string,
  step: number,
  total: number,
  elapsedMs: number,
  columns = 80,
): string {
  const t = Math.max(1, total);
  const s = Math.min(Math.max(0, step), t);
  const tail = ` ${String(s).padStart(String(t).length)}/${t}  ${(elapsedMs / 1000).toFixed(1)}s`;
  const width = Math.max(10, Math.min(40, columns - label.length - tail.length - 4));
  const filled = Math.round((s / t) * width);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${tail}`;
}

/** Create a bar for `label` on `stream`, drawn only when stream.isTTY. */
export function createProgressBar(
  stream: ProgressStream,
  label: string,
  now: () => number = () => performance.now(),
): ProgressBar {
  const enabled = stream.isTTY === true;
  const start = now();
  let drawn = false;
  return {
    enabled,
    update(step, total) {
      if (!enabled) return;
      const columns = stream.columns && stream.columns > 0 ? stream.columns : 80;
      stream.write(`\r${renderProgress(label, step, total, now() - start, columns)}\x1b[K`);
      drawn = true;
    },
    done() {
      if (!enabled || !drawn) return;
      stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
