// Runs in the inference process.
// Entry of the inference process (started by worker.ts): sets the nice value it is given (argv[2],
// INFERENCE_NICE) on every thread of this process, receives its settings as the first message, then
// imports the entry they name. Built, it runs as plain JavaScript; from the TypeScript sources (the
// tests) it registers tsx's loader first.
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import process from 'node:process';

// Inference may run below the bot's priority, so that chat events and HTTP requests are not kept
// waiting for a core. On Linux the nice value is per thread: the threads that exist now (V8's
// helpers, which collect this process's heap) are moved here, and every thread started later
// (libuv's pool, onnxruntime's and libvips' threads) inherits it. An idle bot leaves the cores to
// inference.
const nice = Number(process.argv[2] ?? 0);
if (nice > 0) {
  try {
    for (const t of readdirSync('/proc/self/task')) setPriority(Number(t), nice);
  } catch {
    try {
      setPriority(nice); // no /proc (not Linux): the process
    } catch {
      // not permitted here: run at the normal priority
    }
  }
}

// The engine's process is gone (its IPC channel closed): nothing is left to serve.
process.on('disconnect', () => process.exit(0));

const hostUrl = new URL('./worker-host.ts', import.meta.url);

process.once('message', async (settings) => {
  // Messages that arrive while the entry loads wait here; worker-host.ts hands them over.
  const early = [];
  const keep = (m) => early.push(m);
  process.on('message', keep);
  if (hostUrl.pathname.endsWith('.ts')) (await import('tsx/esm/api')).register();
  const host = await import(hostUrl.href);
  host.adoptSettings(settings, { early, keep });
  await import(settings.entry);
});
