// Entry of the inference worker thread: registers tsx's loader in this thread, then imports the
// TypeScript module named by workerData.entry. Works the same under `tsx`, `node --import tsx` and vitest.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
