// Terminating a worker thread while it is inside a native call (onnxruntime loading a model or
// running a session, sharp encoding) can abort the whole process: when the call returns, the addon
// finds its JavaScript environment gone and throws a C++ exception nothing catches ("terminate
// called after throwing Napi::Error"). So the inference thread counts its native calls in a shared
// word, and the main thread terminates it only after claiming the word at zero (-1 = terminating),
// which also keeps the thread from starting another native call. A blocked thread that is not in
// a native call (a hung loop in JavaScript, Atomics.wait) is still terminated at once.

/** Index of the native-call word in the shared control array (0 holds the cancel word). */
export const NATIVE_WORD = 1;
/** Int32 words of the shared control array. */
export const CONTROL_WORDS = 2;

/** Thread side: runs `call` counted as a native call; blocks for good if the main thread is terminating the thread. */
export async function nativeCall<T>(control: Int32Array, call: () => Promise<T>): Promise<T> {
  for (;;) {
    const n = Atomics.load(control, NATIVE_WORD);
    if (n < 0) {
      // Being terminated: wait here, in JavaScript, where termination is safe.
      Atomics.wait(control, NATIVE_WORD, n);
      continue;
    }
    if (Atomics.compareExchange(control, NATIVE_WORD, n, n + 1) === n) break;
  }
  try {
    return await call();
  } finally {
    Atomics.sub(control, NATIVE_WORD, 1);
  }
}

/** Main side: claims the thread for termination if it is in no native call; false = try again shortly. */
export function claimForTermination(control: Int32Array): boolean {
  return Atomics.compareExchange(control, NATIVE_WORD, 0, -1) === 0;
}

/** Main side: resets the word for a new thread. */
export function resetNativeWord(control: Int32Array): void {
  Atomics.store(control, NATIVE_WORD, 0);
}
