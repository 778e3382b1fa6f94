// Decoding uploads off the main thread. The main thread only reads the header (readImageHeader:
// bytes, format, declared pixels and channels); the decode itself and the per-pixel alpha loop
// run in a small pool of worker threads, at most `size` at once, the rest waiting their turn. A
// worker that crashes or hangs fails its own upload with a clear message and is replaced.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { readImageHeader, type DecodeLimits, type ImageHeader } from './decode.ts';
import type { DecodedMessage, DecodeReply, DecodeRequest, DecodeWorkerReady } from './decode-job.ts';
import { ImageInputError } from './errors.ts';
import type { DecodedImage, ImageFormat } from './types.ts';

/** Settings of a decode pool. */
export interface DecodePoolOptions {
  /**
   * Most decodes at once, one worker thread each. Default: 2, or 1 on a 2-core machine, where a
   * second decode measured no faster and left the main thread less room (bench/uploads.ts).
   */
  size?: number;
  /** A decode running longer than this (from the moment its worker listens) is stopped and its upload refused (default 60 s). */
  timeoutMs?: number;
  /** An idle worker thread exits after this long, freeing its memory (default 60 s). */
  idleMs?: number;
  /** Nice value of the worker threads (Linux: per thread), 0..19; default 0. */
  nice?: number;
  /** file: URL of the worker module (tests); default decode-worker.ts. */
  entry?: string;
}

/** What probeImage tells about an upload that decodes: everything but the pixels. */
export interface ImageSummary {
  width: number;
  height: number;
  format: ImageFormat;
  frames: number;
  /** Whether some pixel is not fully opaque (decodeImage would return `alpha`). */
  hasAlpha: boolean;
}

/** Counts of a pool, for tests and metrics. */
export interface DecodePoolStats {
  size: number;
  running: number;
  queued: number;
  workers: number;
  /** Most decodes that ever ran at once. */
  peak: number;
}

interface Task {
  id: number;
  bytes: Uint8Array;
  limits: DecodeLimits;
  pixels: boolean;
  header: ImageHeader;
  resolve: (m: DecodedMessage) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker | null;
  /** The worker has loaded and listens. */
  ready: boolean;
  task: Task | null;
  timer: NodeJS.Timeout | null;
  idleTimer: NodeJS.Timeout | null;
}

/** The refusal when the worker died or hung on an upload: the same words as a failed decode. */
function decodeFailed(header: ImageHeader, cause: unknown): ImageInputError {
  return new ImageInputError(
    'unsupported',
    `I could not decode that ${header.format.toUpperCase()} image; try saving it as PNG or JPEG.`,
    { format: header.format },
    { cause },
  );
}

/** A pool of decode worker threads with a cap on concurrent decodes. */
export class DecodePool {
  readonly size: number;
  private readonly timeoutMs: number;
  private readonly idleMs: number;
  private readonly entry: string;
  private readonly nice: number;
  private readonly slots: Slot[];
  private readonly waiting: Task[] = [];
  private nextId = 1;
  private peak = 0;
  private closed = false;

  constructor(options: DecodePoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? defaultPoolSize()));
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.idleMs = options.idleMs ?? 60_000;
    this.entry = options.entry ?? new URL('./decode-worker.ts', import.meta.url).href;
    this.nice = options.nice ?? 0;
    this.slots = Array.from({ length: this.size }, () => ({
      worker: null,
      ready: false,
      task: null,
      timer: null,
      idleTimer: null,
    }));
  }

  /** decodeImage, off the main thread: same result, same errors. */
  async decode(input: Uint8Array, limits: DecodeLimits = {}): Promise<DecodedImage> {
    const m = await this.submit(input, limits, true);
    if (!m.rgb) throw new Error('decode worker sent no pixels');
    const out: DecodedImage = {
      width: m.width,
      height: m.height,
      rgb: m.rgb,
      format: m.format,
      frames: m.frames,
    };
    if (m.alpha) out.alpha = m.alpha;
    return out;
  }

  /** Decodes fully (so damaged data is refused as decodeImage would) but returns no pixels. */
  async probe(input: Uint8Array, limits: DecodeLimits = {}): Promise<ImageSummary> {
    const m = await this.submit(input, limits, false);
    return { width: m.width, height: m.height, format: m.format, frames: m.frames, hasAlpha: m.hasAlpha };
  }

  /** Current counts. */
  stats(): DecodePoolStats {
    const running = this.slots.filter((s) => s.task).length;
    const workers = this.slots.filter((s) => s.worker).length;
    return { size: this.size, running, queued: this.waiting.length, workers, peak: this.peak };
  }

  /** Stops the worker threads; decodes still waiting or running fail. */
  async close(): Promise<void> {
    this.closed = true;
    const err = new Error('the image decoder is shut down');
    for (const t of this.waiting.splice(0)) t.reject(err);
    await Promise.all(
      this.slots.map(async (s) => {
        const w = s.worker;
        if (s.idleTimer) clearTimeout(s.idleTimer);
        const task = s.task;
        this.finish(s);
        task?.reject(err);
        if (!w) return;
        s.worker = null;
        await w.terminate();
      }),
    );
  }

  private async submit(input: Uint8Array, limits: DecodeLimits, pixels: boolean): Promise<DecodedMessage> {
    if (this.closed) throw new Error('the image decoder is shut down');
    // The cheap checks stay here: a refused upload never waits behind decodes.
    const header = await readImageHeader(input, limits);
    if (this.closed) throw new Error('the image decoder is shut down');
    // An exact copy of the view (never the whole pool buffer behind it), moved to the worker.
    const bytes = new Uint8Array(input);
    return new Promise<DecodedMessage>((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, bytes, limits: { ...limits }, pixels, header, resolve, reject });
      this.pump();
    });
  }

  /** Hands waiting tasks to free slots. */
  private pump(): void {
    for (const slot of this.slots) {
      if (this.waiting.length === 0 || this.closed) return;
      if (slot.task) continue;
      this.start(slot, this.waiting.shift()!);
    }
  }

  private start(slot: Slot, task: Task): void {
    slot.task = task;
    this.peak = Math.max(this.peak, this.slots.filter((s) => s.task).length);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = null;
    const w = slot.worker ?? this.spawn(slot);
    w.ref();
    if (slot.ready) this.arm(slot, w);
    const req: DecodeRequest = { id: task.id, bytes: task.bytes, limits: task.limits, pixels: task.pixels };
    w.postMessage(req, [task.bytes.buffer as ArrayBuffer]);
  }

  /** Starts the timeout of the slot's task. */
  private arm(slot: Slot, w: Worker): void {
    const task = slot.task;
    if (!task || slot.timer) return;
    slot.timer = setTimeout(() => {
      if (slot.task !== task || slot.worker !== w) return;
      slot.worker = null;
      void w.terminate();
      this.fail(slot, decodeFailed(task.header, new Error(`decode took over ${this.timeoutMs} ms`)));
    }, this.timeoutMs);
    slot.timer.unref();
  }

  private spawn(slot: Slot): Worker {
    const w = new Worker(new URL('./decode-boot.mjs', import.meta.url), {
      workerData: { entry: this.entry, nice: this.nice },
      execArgv: [],
    });
    slot.worker = w;
    slot.ready = false;
    w.on('message', (reply: DecodeReply | DecodeWorkerReady) => {
      if ('ready' in reply) {
        if (slot.worker !== w) return;
        slot.ready = true;
        this.arm(slot, w);
        return;
      }
      const task = slot.task;
      if (slot.worker !== w || !task || reply.id !== task.id) return;
      this.finish(slot);
      if (reply.ok) task.resolve(reply.image);
      else if (reply.error.image && reply.error.code)
        task.reject(new ImageInputError(reply.error.code, reply.error.message, reply.error.detail ?? {}));
      else task.reject(new Error(reply.error.message));
      this.idle(slot, w);
      this.pump();
    });
    // An uncaught error ends the thread; 'exit' follows and fails the task in flight.
    let lastError: unknown = null;
    w.on('error', (err) => {
      lastError = err;
    });
    w.on('exit', (code) => {
      if (slot.worker !== w) return;
      slot.worker = null;
      const cause = lastError ?? new Error(`decode worker exited with code ${code}`);
      if (slot.task) this.fail(slot, decodeFailed(slot.task.header, cause));
    });
    return w;
  }

  /** Rejects the slot's task and moves on to the next one. */
  private fail(slot: Slot, err: Error): void {
    const task = slot.task;
    this.finish(slot);
    task?.reject(err);
    this.pump();
  }

  private finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.task = null;
  }

  /** Lets the process exit while the worker waits, and ends the worker after idleMs. */
  private idle(slot: Slot, w: Worker): void {
    if (slot.task) return;
    w.unref();
    slot.idleTimer = setTimeout(() => {
      if (slot.worker !== w || slot.task) return;
      slot.worker = null;
      void w.terminate();
    }, this.idleMs);
    slot.idleTimer.unref();
  }
}

/** 2 decodes at once, leaving at least one core to the rest of the process. */
function defaultPoolSize(): number {
  return Math.max(1, Math.min(2, availableParallelism() - 1));
}

let shared: DecodePool | null = null;

/** The process-wide pool used by decodeImageOffThread and probeImage; `options` apply when it is first made. */
export function sharedDecodePool(options: DecodePoolOptions = {}): DecodePool {
  shared ??= new DecodePool(options);
  return shared;
}

/** decodeImage with the header checked here and the decode in a worker thread: same pixels, same errors. */
export function decodeImageOffThread(input: Uint8Array, limits: DecodeLimits = {}): Promise<DecodedImage> {
  return sharedDecodePool().decode(input, limits);
}

/** Validates an upload as decodeImage would (in a worker thread) and returns its size and alpha flag, no pixels. */
export function probeImage(input: Uint8Array, limits: DecodeLimits = {}): Promise<ImageSummary> {
  return sharedDecodePool().probe(input, limits);
}
