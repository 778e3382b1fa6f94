// V8 flags for the bot's long-running processes. The main thread answers chat events and HTTP
// requests, so its garbage collections must stay short. Two of V8's defaults made them long, as
// measured with `--trace-gc` during `npm run bench -- engine` on 2 cores:
// - the memory reducer runs full, compacting collections when a busy process turns quiet, to give
//   memory back: on this process's heap (about 20 MB), 20-30 ms each, in runs of two or three;
// - the young generation grows to 16 MB per semi-space at start-up, and one scavenge then copies
//   everything the start-up left alive (about 5 MB, 22-24 ms).
// With the reducer off the heap is still collected as it fills, in increments; it is just not
// shrunk while the process idles. With 1 MB semi-spaces a scavenge copies at most 1 MB.
// These flags only work on the command line: V8 sizes a heap, and decides on its memory reducer,
// when the heap is created, so setting them at run time (`v8.setFlagsFromString`) leaves the main
// thread's heap as it is. `npm start`, `npm run worker` and `npm run bench` pass them (tsx hands
// them to node); test/e2e/heap-flags.test.ts checks that these scripts and this list agree.

/** The flags, as node takes them on its command line. */
export const HEAP_FLAGS: readonly string[] = ['--no-memory-reducer', '--max-semi-space-size=1'];

/** The flags of HEAP_FLAGS that a process started with `execArgv` lacks. */
export function missingHeapFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return HEAP_FLAGS.filter((f) => !execArgv.includes(f));
}
