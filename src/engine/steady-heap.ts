// The main thread of the bot answers chat events and HTTP requests, so it should never pause for
// long. V8's memory reducer runs full, compacting collections when a busy process turns quiet, to
// give memory back; on this process's heap (about 20 MB) each paused the main thread for 20-30 ms
// (measured with `--trace-gc` during `npm run bench -- engine`, on 2 cores). With it off, the heap
// is still collected as it fills, in increments; it is just not shrunk while the process idles.
import v8 from 'node:v8';

let steady = false;

/** Turns V8's memory reducer off for this process (once; new worker threads inherit it). */
export function steadyHeap(): void {
  if (steady) return;
  steady = true;
  v8.setFlagsFromString('--no-memory-reducer');
}
