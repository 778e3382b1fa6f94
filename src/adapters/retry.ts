// Starting a chat adapter that may not reach its platform (token rejected, network down): each
// failure is logged as one line and the start is tried again after an exponential backoff, until
// it succeeds or the bot shuts down. The other adapters, the engine and the playground run on.

/** Backoff of adapter start retries. */
export interface RetryPolicy {
  /** First wait after a failure (ms). */
  baseMs: number;
  /** Longest wait (ms); the wait doubles up to this. */
  maxMs: number;
}

/** Default: 5 s, doubling, at most 5 min. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 5_000, maxMs: 300_000 };

/** A start that keeps trying in the background. */
export interface RetryingStart<T> {
  /** Resolves with the started value, or null when cancelled before a start succeeded. */
  started: Promise<T | null>;
  /** Resolves once the first attempt has succeeded or failed (never rejects). */
  firstAttempt: Promise<void>;
  /** Stops retrying: a pending wait ends at once (`started` then resolves null); an attempt in flight is not retried if it fails. */
  cancel(): void;
}

/** Wait before retry number `attempt` (1 = after the first failure): baseMs * 2^(attempt-1), capped at maxMs. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

/** Seconds or minutes for a log line: "5 s", "2.5 min". */
export function formatWait(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 6_000) / 10} min`;
}

/** An error as one short line: its first line, with each of `secrets` cut out, at most 300 characters. */
export function oneLine(err: unknown, secrets: readonly string[] = []): string {
  let text = err instanceof Error ? err.message : String(err);
  for (const s of secrets) if (s) text = text.split(s).join('[redacted]');
  text = text.split('\n')[0].trim() || (err instanceof Error ? err.name : 'unknown error');
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

/**
 * Calls `attempt` now (synchronously up to its first await) and again after each failure, waiting
 * backoffMs between tries; `onFailure(err, attempt, waitMs)` is told of each failure before the wait.
 */
export function startWithRetry<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  onFailure: (err: unknown, attempt: number, waitMs: number) => void,
): RetryingStart<T> {
  let cancelled = false;
  let wake: (() => void) | null = null;
  let timer: NodeJS.Timeout | undefined;
  let firstDone: () => void = () => {};
  const firstAttempt = new Promise<void>((resolve) => (firstDone = resolve));
  const started = (async (): Promise<T | null> => {
    for (let n = 1; !cancelled; n++) {
      try {
        return await attempt();
      } catch (err) {
        firstDone();
        if (cancelled) return null;
        const waitMs = backoffMs(policy, n);
        onFailure(err, n, waitMs);
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, waitMs);
        });
        wake = null;
      }
    }
    return null;
  })();
  void started.finally(firstDone);
  return {
    started,
    firstAttempt,
    cancel() {
      cancelled = true;
      if (timer) clearTimeout(timer);
      wake?.();
    },
  };
}
