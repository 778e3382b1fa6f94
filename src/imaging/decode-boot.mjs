// Entry of a decode worker thread: registers tsx's loader in this thread, then imports the
// TypeScript module named by workerData.entry (src/inference/worker-boot.mjs does the same in a process).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
