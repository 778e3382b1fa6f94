// The progress bar: its text, and that it draws only on a TTY.
import { describe, expect, it } from 'vitest';
import { createProgressBar, renderProgress } from '../../src/adapters/cli/progress.ts';
import { understoodLine } from '../../src/adapters/cli/output.ts';

describe('renderProgress', () => {
  it('fills the bar in proportion to the step and shows step/total and seconds', () => {
    expect(renderProgress('imagine', 0, 4, 0, 80)).toBe(`imagine [${'.'.repeat(40)}] 0/4  0.0s`);
    expect(renderProgress('imagine', 2, 4, 1234, 80)).toBe(
      `imagine [${'#'.repeat(20)}${'.'.repeat(20)}] 2/4  1.2s`,
    );
    expect(renderProgress('imagine', 33, 33, 5000, 80)).toBe(`imagine [${'#'.repeat(40)}] 33/33  5.0s`);
  });

  it('fits narrow terminals and clamps the step', () => {
    const line = renderProgress('denoise', 50, 10, 0, 40);
    expect(line.length).toBeLessThanOrEqual(40);
    expect(line).toContain('10/10');
  });
});

describe('createProgressBar', () => {
  it('redraws in place on a TTY and clears its line when done', () => {
    const out: string[] = [];
    let t = 0;
    const bar = createProgressBar({ isTTY: true, columns: 80, write: (s) => out.push(s) }, 'x', () => t);
    bar.update(1, 2);
    t = 500;
    bar.update(2, 2);
    bar.done();
    expect(out).toEqual([
      `\rx [${'#'.repeat(20)}${'.'.repeat(20)}] 1/2  0.0s\x1b[K`,
      `\rx [${'#'.repeat(40)}] 2/2  0.5s\x1b[K`,
      '\r\x1b[K',
    ]);
  });

  it('writes nothing when the stream is not a TTY', () => {
    const out: string[] = [];
    const bar = createProgressBar({ isTTY: false, write: (s) => out.push(s) }, 'x');
    bar.update(1, 2);
    bar.done();
    expect(bar.enabled).toBe(false);
    expect(out).toEqual([]);
  });
});

describe('understoodLine', () => {
  it('names understood concepts and unknown words', () => {
    expect(understoodLine([{ label: '🚀 rocket', weight: 1 }], ['zorb'], true)).toBe(
      'understood: 🚀 rocket; unknown: zorb',
    );
    expect(understoodLine([], ['zorb'], true)).toBe('understood: nothing; unknown: zorb');
    expect(
      understoodLine(
        [
          { label: '🐕 dog', weight: 1 },
          { label: '🐕 dog', weight: 1 },
        ],
        [],
        true,
      ),
    ).toBe('understood: 🐕 dog');
    expect(understoodLine([], [], false)).toBe('');
  });
});
