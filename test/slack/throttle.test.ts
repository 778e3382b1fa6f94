// The status editor's throttle, on a fake clock: edits start at least the interval apart, the
// latest text wins, unchanged texts are not sent, and close() drops a pending edit.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ThrottledEditor } from '../../src/adapters/slack/throttle.ts';

describe('ThrottledEditor', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends the latest text at most once per interval, counting from the first message', async () => {
    const sent: { text: string; at: number }[] = [];
    const ed = new ThrottledEditor(1500, async (text) => void sent.push({ text, at: Date.now() }), Date.now, 'queued');
    ed.set('queued');
    for (let i = 1; i <= 10; i++) {
      ed.set(`step ${i}`);
      await vi.advanceTimersByTimeAsync(200);
    }
    // 2000 ms after the first message: one edit at +1500 with the text set just before it.
    expect(sent).toEqual([{ text: 'step 8', at: 1_001_500 }]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(sent.map((s) => s.text)).toEqual(['step 8', 'step 10']);
    expect(sent[1].at - sent[0].at).toBe(1500);
    ed.set('step 10');
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(2);
    expect(ed.edits).toBe(2);
  });

  it('waits for a slow edit before the next one, and close() drops what is pending', async () => {
    const sent: string[] = [];
    let release!: () => void;
    const ed = new ThrottledEditor(
      1000,
      (text) => {
        sent.push(text);
        return new Promise<void>((r) => (release = r));
      },
      Date.now,
    );
    ed.set('a');
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent).toEqual(['a']);
    ed.set('b');
    await vi.advanceTimersByTimeAsync(3000);
    expect(sent).toEqual(['a']);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual(['a', 'b']);
    ed.set('c');
    const closing = ed.close();
    release();
    await closing;
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toEqual(['a', 'b']);
    expect(ed.waitBeforeNext()).toBe(0);
  });
});
