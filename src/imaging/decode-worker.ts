// A decode worker thread (started by decode-pool.ts through decode-boot.mjs): answers one
// DecodeRequest at a time, so sharp's output and the per-pixel alpha loop never run on the
// main thread.
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { runDecodeRequest, type DecodeRequest, type DecodeWorkerReady } from './decode-job.ts';

const port = parentPort;
if (!port) throw new Error('decode-worker.ts must run in a worker thread');
const nice = (workerData as { nice?: number } | null)?.nice ?? 0;
if (nice > 0) {
  try {
    setPriority(nice); // this thread only, on Linux
  } catch {
    // not permitted here: decode at the normal priority
  }
}
port.on('message', (req: DecodeRequest) => {
  void runDecodeRequest(req).then(({ reply, transfer }) => port.postMessage(reply, transfer));
});
port.postMessage({ ready: true } satisfies DecodeWorkerReady);
