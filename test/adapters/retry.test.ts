// The backoff of adapter start retries: doubling waits up to the cap, one report per failure,
// cancellation that ends a pending wait, and error text cut to one line without secrets.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffMs, formatWait, oneLine, startWithRetry } from '../../src/adapters/retry.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('adapter start retries', () => {
  it('waits base, 2x, 4x ... up to the cap', () => {
    const policy = { baseMs: 5_000, maxMs: 300_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 100].map((n) => backoffMs(policy, n))).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000,
    ]);
    expect([formatWait(300), formatWait(5_000), formatWait(90_000), formatWait(300_000)]).toEqual(['0.3 s', '5 s', '1.5 min', '5 min']);
  });

  it('tries again after each failure and resolves with the first success', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const reports: [string, number, number][] = [];
    const r = startWithRetry(
      async () => {
        calls++;
        if (calls < 4) throw new Error(`no ${calls}`);
        return 'up';
      },
      { baseMs: 100, maxMs: 250 },
      (err, attempt, waitMs) => reports.push([(err as Error).message, attempt, waitMs]),
    );
    expect(calls).toBe(1); // the first attempt starts at once
    let first = false;
    void r.firstAttempt.then(() => (first = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(first).toBe(true); // settled by the first failure, before any retry
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1 + 200 + 250);
    expect(await r.started).toBe('up');
    expect(calls).toBe(4);
    expect(reports).toEqual([
      ['no 1', 1, 100],
      ['no 2', 2, 200],
      ['no 3', 3, 250],
    ]);
  });

  it('cancel ends a pending wait: no further attempt, started resolves null', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const r = startWithRetry(
      async () => {
        calls++;
        throw new Error('down');
      },
      { baseMs: 60_000, maxMs: 60_000 },
      () => {},
    );
    await vi.advanceTimersByTimeAsync(10);
    r.cancel();
    expect(await r.started).toBeNull();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls).toBe(1);
  });

  it('writes an error as one line without secrets', () => {
    const err = new Error('login failed for token abc.SECRET.xyz\n    at somewhere (file.ts:1:1)');
    expect(oneLine(err, ['abc.SECRET.xyz'])).toBe('login failed for token [redacted]');
    expect(oneLine('x'.repeat(500))).toHaveLength(300);
  });
});
