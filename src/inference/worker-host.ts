// Runs in the inference process.
// The inference worker process's link to the engine: its settings (the first message, taken by
// worker-boot.mjs) and the messages in and out over the IPC channel.
import type { FromWorker, ToWorker, WorkerSettings } from './worker-protocol.ts';

let adopted: WorkerSettings | null = null;
let waiting: { early: unknown[]; keep: (m: unknown) => void } | null = null;

/** Called by worker-boot.mjs: the settings, and the messages kept while the entry loads. */
export function adoptSettings(
  settings: WorkerSettings,
  kept: { early: unknown[]; keep: (m: unknown) => void },
): void {
  adopted = settings;
  waiting = kept;
}

/** This process's settings (fixed for its lifetime). */
export function hostSettings(): WorkerSettings {
  if (!adopted || !process.send) throw new Error('the inference worker must be started by worker.ts');
  return adopted;
}

/** Sends a message to the engine; dropped once the engine is gone (worker-boot.mjs then ends this process). */
export function postToEngine(m: FromWorker): void {
  if (process.connected) process.send?.(m, () => undefined);
}

/** How often this process says it is alive (between blocking calls). */
export const HEARTBEAT_MS = 2_000;

/** Serves the engine's messages, the ones that arrived while the entry loaded first; starts the heartbeat. */
export function onEngineMessage(serve: (m: ToWorker) => void): void {
  setInterval(() => postToEngine({ type: 'heartbeat' }), HEARTBEAT_MS).unref();
  process.on('message', (m) => serve(m as ToWorker));
  if (waiting) {
    process.off('message', waiting.keep);
    for (const m of waiting.early) serve(m as ToWorker);
    waiting = null;
  }
}
