// Entry of the inference worker process (started by worker.ts): moves every thread of this process
// to a lower priority, receives its settings as the first message, registers tsx's loader, then
// imports the TypeScript entry they name. Works the same under `tsx`, `node --import tsx` and vitest.
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import process from 'node:process';
import { Worker } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

/** The inference process's nice value (0 normal, 19 lowest). */
const INFERENCE_NICE = 10;

// Inference runs below the bot's priority, so that chat events and HTTP requests are not kept
// waiting for a core. On Linux the nice value is per thread: the threads that exist now (V8's
// helpers, which collect this process's heap) are moved here, and every thread started later
// (libuv's pool, onnxruntime's and libvips' threads) inherits it. An idle bot leaves the cores to
// inference.
try {
  for (const t of readdirSync('/proc/self/task')) setPriority(Number(t), INFERENCE_NICE);
} catch {
  try {
    setPriority(INFERENCE_NICE); // no /proc (not Linux): the process
  } catch {
    // not permitted here: run at the normal priority
  }
}

// The engine's process is gone (its IPC channel closed): nothing is left to serve.
process.on('disconnect', () => process.exit(0));
// A main thread blocked in a call (a hung session.run) cannot see the channel close; a watchdog
// thread ends this process once its parent is gone (this process was handed to another parent).
new Worker(
  `const { workerData } = require('node:worker_threads');
  setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, 1000);`,
  { eval: true, workerData: process.ppid },
).unref();

process.once('message', async (settings) => {
  // Messages that arrive while the entry loads wait here; worker-host.ts hands them over.
  const early = [];
  const keep = (m) => early.push(m);
  process.on('message', keep);
  register();
  const host = await import('./worker-host.ts');
  host.adoptSettings(settings, { early, keep });
  await import(settings.entry);
});
