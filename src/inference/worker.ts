// Runs in the bot's process: its handle of the inference process.
// The engine's handle of the inference process: starts it (worker-boot.mjs), sends it one job at a
// time, relays progress, and restarts it when it crashes. A crash fails only the job that was running.
//
// A process rather than a thread of the bot: onnxruntime's session.run blocks its thread, killing a
// process is safe even in the middle of a call into onnxruntime, and all of its threads can run at
// a lower priority (INFERENCE_NICE). It ends when its IPC channel closes (the bot exited); a
// service manager's stop reaches it as well (systemd's control group, a container's PID 1).
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { ModelInfo } from '../jobs/api.ts';
import type { JobSpec } from '../jobs/spec.ts';
import type { FromWorker, RunOptions, RunOutput, ToWorker, WorkerSettings } from './worker-protocol.ts';

/**
 * Kinds of run failure: `stopped` on request (cancel, time limit, shutdown; the message says so),
 * `input` (the message is about the user's input and can be shown as is), `crash` (the worker
 * process died during the run), `error` (anything else: a bug or a failing model).
 */
export type RunFailureKind = 'stopped' | 'input' | 'crash' | 'error';

/** Why a run did not produce a result. */
export class RunFailure extends Error {
  override name = 'RunFailure';
  constructor(
    message: string,
    readonly kind: RunFailureKind,
  ) {
    super(message);
  }
}

/** Answer of InferenceWorker.modelInfo: the facts, or why they are unavailable (userError: the model name is unknown). */
export type ModelInfoAnswer = { info: ModelInfo } | { error: string; userError: boolean };

/** Callbacks of one run. */
export interface RunHandlers {
  onStarted?(): void;
  onProgress?(step: number, total: number): void;
  /** A progress preview: a PNG, encoded (and upscaled for display) by the worker process. */
  onPreview?(png: Buffer, step: number, total: number): void;
}

/** A run in flight. */
export interface RunHandle {
  runId: number;
  done: Promise<RunOutput>;
  /** Asks the run to stop at its next step; after graceMs the process is killed (and restarted). */
  abort(message: string, graceMs: number): void;
}

interface Pending {
  runId: number;
  handlers: RunHandlers;
  resolve(o: RunOutput): void;
  reject(e: RunFailure): void;
  abortMessage: string | null;
  killTimer: NodeJS.Timeout | null;
}

export type WorkerConfig = Omit<WorkerSettings, 'entry' | 'entryData'>;

/** Creates the engine's inference worker from its settings (the test suite injects one whose process crashes or stalls on cue). */
export type WorkerFactory = (config: WorkerConfig) => InferenceWorker;

/** Another entry than the production one, and data it reads from its settings' entryData. */
export interface WorkerEntry {
  entry: URL;
  data?: unknown;
}

/** What the worker says when it is ready: the default model, its device and why, or the load error. */
export interface WorkerReadyInfo {
  model: string | null;
  device: string | null;
  adapter?: string;
  deviceReason?: string;
  error?: string;
}

/** Owns one inference worker process; emits 'ready' ({model, device, error?}), 'exit' (code), 'restart'. */
export class InferenceWorker extends EventEmitter {
  private worker: ChildProcess | null = null;
  private pending: Pending | null = null;
  private nextRunId = 1;
  private closing = false;
  private crashes = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  /** Model and device reported by the process once the default model loaded. */
  info: WorkerReadyInfo = { model: null, device: null };
  /** Facts of models the process has reported (the default one at start, others when asked), by name. */
  private readonly modelFacts = new Map<string, ModelInfo>();
  private readonly infoRequests = new Map<
    number,
    { name: string; resolve(r: ModelInfoAnswer): void; timer: NodeJS.Timeout }
  >();
  private readonly modelsRequests = new Map<
    number,
    { resolve(names: string[] | null): void; timer: NodeJS.Timeout }
  >();
  private nextRequestId = 1;
  /** When the process last sent anything, and the longest silence of the running job so far (ms). */
  private lastHeard = Date.now();
  private longestSilence = 0;
  /** Whether the running process has reported ready, and whether a kill waits for its exit. */
  private readySeen = false;
  private killing = false;

  constructor(
    private readonly config: WorkerConfig,
    private readonly entry?: WorkerEntry,
  ) {
    super();
  }

  /** Whether a process is running. */
  get alive(): boolean {
    return this.worker !== null;
  }

  /** The running process's id (null when none runs). */
  get pid(): number | null {
    return this.worker?.pid ?? null;
  }

  /**
   * How long the process has been silent during a running job, when that is longer than the stall
   * limit (INFERENCE_STALL_MS, and 4x the job's longest silence so far: a long step is not a stall);
   * null while it is not stalled.
   */
  stalledMs(): number | null {
    if (!this.pending) return null;
    const silent = Date.now() - this.lastHeard;
    return silent > Math.max(this.config.stallMs ?? 30_000, 4 * this.longestSilence) ? silent : null;
  }

  /** Whether a run is in flight. */
  get busy(): boolean {
    return this.pending !== null;
  }

  /** Starts the process (no-op if it runs). */
  start(): void {
    if (this.worker || this.closing) return;
    const settings: WorkerSettings = {
      ...this.config,
      entry: (this.entry?.entry ?? new URL('./worker-entry.ts', import.meta.url)).href,
      ...(this.entry?.data !== undefined ? { entryData: this.entry.data } : {}),
    };
    // No node flags of the bot's; 'advanced' serialization carries previews as bytes.
    const w = fork(new URL('./worker-boot.mjs', import.meta.url), [String(this.config.nice ?? 0)], {
      execArgv: [],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.worker = w;
    this.readySeen = false;
    this.holdOpen();
    w.on('message', (m: FromWorker) => this.onMessage(m));
    w.on('error', (err) => this.emit('worker-error', err));
    w.on('exit', (code, signal) => this.onExit(w, code, signal));
    // The bot exiting ends its inference process at once, even one blocked inside a native call
    // (which would see its IPC channel close only when the call returns).
    const onBotExit = (): void => void w.kill('SIGKILL');
    process.once('exit', onBotExit);
    w.once('exit', () => process.off('exit', onBotExit));
    w.send(settings);
  }

  /** Sends a job to the process. Only one run at a time (the engine's queue guarantees it). */
  run(jobId: string, spec: JobSpec, options: RunOptions, handlers: RunHandlers = {}): RunHandle {
    if (this.pending) throw new Error('the inference worker is busy');
    if (this.closing) throw new Error('the inference worker is closed');
    this.start();
    const runId = this.nextRunId++;
    let pending!: Pending;
    const done = new Promise<RunOutput>((resolve, reject) => {
      pending = { runId, handlers, resolve, reject, abortMessage: null, killTimer: null };
    });
    this.pending = pending;
    this.lastHeard = Date.now();
    this.longestSilence = 0;
    this.holdOpen();
    this.post({ type: 'run', runId, jobId, spec, options });
    return {
      runId,
      done,
      abort: (message, graceMs) => {
        if (this.pending !== pending || pending.abortMessage !== null) return;
        pending.abortMessage = message;
        this.post({ type: 'cancel', runId });
        pending.killTimer = setTimeout(() => {
          if (this.pending === pending) this.terminate();
        }, graceMs);
        pending.killTimer.unref();
      },
    };
  }

  /**
   * The facts of a model (default: the default one) from the process that loads it: answered from
   * what the process reported when it is known, else asked (loading the model if needed).
   */
  modelInfo(model?: string, timeoutMs = 60_000): Promise<ModelInfoAnswer> {
    const name = model ?? this.config.defaultModel;
    const known = this.modelFacts.get(name);
    if (known) return Promise.resolve({ info: known });
    if (this.closing) return Promise.resolve({ error: 'the inference worker is closed', userError: false });
    this.start();
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.infoRequests.delete(requestId);
        resolve({ error: 'the inference worker did not answer in time', userError: false });
      }, timeoutMs);
      timer.unref();
      this.infoRequests.set(requestId, { name, resolve, timer });
      this.holdOpen();
      this.post({ type: 'info', requestId, ...(model !== undefined ? { model } : {}) });
    });
  }

  /** The names of the installed models that load, as the process reads its models folder; null when it does not answer in time. */
  installedModels(timeoutMs = 10_000): Promise<string[] | null> {
    if (this.closing) return Promise.resolve(null);
    this.start();
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.modelsRequests.delete(requestId);
        resolve(null);
      }, timeoutMs);
      timer.unref();
      this.modelsRequests.set(requestId, { resolve, timer });
      this.holdOpen();
      this.post({ type: 'models', requestId });
    });
  }

  /** Sends a request answered by an event named after its type (concept-client.ts: 'concepts', understand-client.ts: 'understand'); starts the process if needed. */
  request(m: Extract<ToWorker, { type: 'concepts' | 'understand' }>): void {
    if (this.closing) return;
    this.start();
    this.post(m);
  }

  /** The facts of a model the process has reported (default: the default model), or undefined; never asks. */
  knownInfo(model?: string): ModelInfo | undefined {
    return this.modelFacts.get(model ?? this.config.defaultModel);
  }

  /** The effective defaults of a model the process has reported (default: the default model), or undefined. */
  knownDefaults(model?: string): ModelInfo['defaults'] | undefined {
    return this.modelFacts.get(model ?? this.config.defaultModel)?.defaults;
  }

  /** Kills the process as if it crashed (tests, and runs that ignore an abort). A new process starts. */
  async kill(): Promise<void> {
    const w = this.worker;
    if (!w) return;
    const exited = new Promise<void>((r) => w.once('exit', () => r()));
    this.killing = true;
    this.holdOpen();
    this.terminate();
    await exited;
    this.killing = false;
  }

  /** Kills the current process at once, whatever it is doing. */
  private terminate(): void {
    this.worker?.kill('SIGKILL');
  }

  /** Stops the process for good; a run in flight fails as aborted. */
  async close(): Promise<void> {
    this.closing = true;
    this.holdOpen();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const w = this.worker;
    if (!w) return;
    if (this.pending && this.pending.abortMessage === null)
      this.pending.abortMessage = 'The bot is shutting down.';
    const exited = new Promise<void>((r) => w.once('exit', () => r()));
    this.post({ type: 'shutdown' });
    const t = setTimeout(() => this.terminate(), 5000);
    await exited;
    clearTimeout(t);
  }

  /**
   * Keeps this process alive for the worker only while something waits on it (its start, a run, a
   * request, a kill or the close), as a worker thread would be by what it is doing. An idle
   * process does not keep it alive on its own (the bot is kept alive by its servers and clients),
   * and if the bot's process ends without closing it, the worker ends too (worker-boot.mjs).
   */
  private holdOpen(): void {
    const w = this.worker;
    if (!w) return;
    const hold =
      this.closing ||
      this.killing ||
      !this.readySeen ||
      this.pending !== null ||
      this.infoRequests.size > 0 ||
      this.modelsRequests.size > 0;
    if (hold) {
      w.ref();
      w.channel?.ref();
    } else {
      w.unref();
      w.channel?.unref();
    }
  }

  private post(m: ToWorker): void {
    if (this.worker?.connected) this.worker.send(m);
  }

  private onMessage(m: FromWorker): void {
    const now = Date.now();
    if (this.pending) this.longestSilence = Math.max(this.longestSilence, now - this.lastHeard);
    this.lastHeard = now;
    if (m.type === 'heartbeat') return;
    if (m.type === 'concepts') return void this.emit('concepts', m); // concept-client.ts
    if (m.type === 'understand') return void this.emit('understand', m); // understand-client.ts
    if (m.type === 'models') {
      const r = this.modelsRequests.get(m.requestId);
      if (!r) return;
      this.modelsRequests.delete(m.requestId);
      this.holdOpen();
      clearTimeout(r.timer);
      r.resolve(m.names);
      return;
    }
    if (m.type === 'info') {
      const r = this.infoRequests.get(m.requestId);
      if (!r) return;
      this.infoRequests.delete(m.requestId);
      this.holdOpen();
      clearTimeout(r.timer);
      if (m.info) this.remember(m.info, r.name);
      r.resolve(
        m.info ? { info: m.info } : { error: m.error ?? 'unknown error', userError: m.userError ?? false },
      );
      return;
    }
    if (m.type === 'ready') {
      if (m.info) this.remember(m.info, this.config.defaultModel);
      this.info = {
        model: m.model,
        device: m.device,
        ...(m.info?.adapter ? { adapter: m.info.adapter } : {}),
        ...(m.info?.deviceReason ? { deviceReason: m.info.deviceReason } : {}),
        ...(m.error ? { error: m.error } : {}),
      };
      this.crashes = 0;
      this.readySeen = true;
      this.holdOpen();
      this.emit('ready', this.info);
      return;
    }
    const p = this.pending;
    if (!p || p.runId !== m.runId) return;
    switch (m.type) {
      case 'started':
        p.handlers.onStarted?.();
        break;
      case 'progress':
        p.handlers.onProgress?.(m.step, m.total);
        break;
      case 'preview':
        p.handlers.onPreview?.(
          Buffer.from(m.png.buffer, m.png.byteOffset, m.png.byteLength),
          m.step,
          m.total,
        );
        break;
      case 'done':
        if (this.info.error) this.info = { model: m.output.model, device: m.output.device };
        this.settle(p);
        if (p.abortMessage !== null) p.reject(new RunFailure(p.abortMessage, 'stopped'));
        else p.resolve(m.output);
        break;
      case 'failed':
        this.settle(p);
        if (p.abortMessage !== null) p.reject(new RunFailure(p.abortMessage, 'stopped'));
        else p.reject(new RunFailure(m.message, m.userError ? 'input' : 'error'));
        break;
    }
  }

  /** Keeps a model's reported facts under the name it was asked by (a few models at most). */
  private remember(info: ModelInfo, name: string): void {
    this.modelFacts.delete(name);
    this.modelFacts.set(name, info);
    if (this.modelFacts.size > 8) this.modelFacts.delete(this.modelFacts.keys().next().value as string);
  }

  private settle(p: Pending): void {
    if (p.killTimer) clearTimeout(p.killTimer);
    this.pending = null;
    this.holdOpen();
  }

  private onExit(w: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.worker !== w) return;
    this.worker = null;
    this.emit('exit', code ?? signal);
    this.modelFacts.clear(); // the restarted process reports again (its device may differ)
    for (const [id, r] of this.infoRequests) {
      clearTimeout(r.timer);
      r.resolve({ error: 'the inference worker stopped', userError: false });
      this.infoRequests.delete(id);
    }
    for (const [id, r] of this.modelsRequests) {
      clearTimeout(r.timer);
      r.resolve(null);
      this.modelsRequests.delete(id);
    }
    const p = this.pending;
    if (p) {
      this.settle(p);
      if (p.abortMessage !== null) p.reject(new RunFailure(p.abortMessage, 'stopped'));
      else {
        this.crashes++;
        p.reject(
          new RunFailure(
            `The inference worker crashed while running this job (${signal ? `signal ${signal}` : `exit code ${code}`}); it has been restarted.`,
            'crash',
          ),
        );
      }
    }
    if (this.closing) return;
    // Restart at once after a crash; back off if it keeps crashing without ever becoming ready.
    const delay = Math.min(10_000, this.crashes <= 1 ? 0 : 250 * 2 ** (this.crashes - 1));
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.start();
      this.emit('restart');
    }, delay);
    this.restartTimer.unref();
  }
}
