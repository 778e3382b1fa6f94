// `npm run bench -- engine [--jobs N] [--steps S] [--samples K] [--model NAME]`
// While jobs run back to back on the default model, prints the main thread's worst event-loop
// delay, the submit -> accepted job id latency (p50/p99) with 20 jobs queued, and jobs per minute.
// Beside it, the same monitor in a sibling process that does nothing, over the same interval, at
// the main thread's priority: a delay it sees comes from the machine (the scheduler, other
// processes, a virtual machine's host), not from the engine's main thread. `npm run bench` starts
// node with the bot's heap flags (src/engine/heap-flags.ts); `npx tsx bench/run.ts engine` without.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance as perf, PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config.ts';
import { waitForJob, type SubmitResult } from '../src/jobs/api.ts';
import { createEngine } from '../src/engine/engine.ts';
import { HEAP_FLAGS, missingHeapFlags } from '../src/engine/heap-flags.ts';
import { listModels } from '../src/runtime/index.ts';

function arg(args: string[], name: string, def: number): number;
function arg(args: string[], name: string, def: string): string;
function arg(args: string[], name: string, def: number | string): number | string {
  const i = args.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= args.length) return def;
  return typeof def === 'number' ? Number(args[i + 1]) : args[i + 1];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function accepted(r: SubmitResult): string {
  if (!r.ok) throw new Error(`submit refused: ${r.message}`);
  return r.jobId;
}

/** A process that only watches its own event loop until its stdin closes, then prints max and p99 (ms). */
const SIBLING = `
const { monitorEventLoopDelay } = require('node:perf_hooks');
const h = monitorEventLoopDelay({ resolution: 5 });
h.enable();
process.stdin.resume();
process.stdin.on('end', () => { h.disable(); process.stdout.write(JSON.stringify({ max: h.max / 1e6, p99: h.percentile(99) / 1e6 })); });
`;

/** Starts the idle sibling; stop() ends it and resolves its figures. */
function idleSibling(): { stop: () => Promise<{ max: number; p99: number }> } {
  const child = spawn(process.execPath, ['-e', SIBLING], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<void>((res) => child.on('close', () => res()));
  return {
    stop: async () => {
      child.stdin.end();
      await exited;
      return JSON.parse(out) as { max: number; p99: number };
    },
  };
}

/** Runs the engine benchmark and prints its figures. */
export async function main(args: string[] = []): Promise<void> {
  const jobs = arg(args, 'jobs', 20);
  const steps = arg(args, 'steps', 33);
  const samples = arg(args, 'samples', 500);
  const base = loadConfig(process.env);
  let model = arg(args, 'model', base.model);
  const installed = listModels(base.modelsDir)
    .filter((m) => !m.error)
    .map((m) => m.name);
  if (!installed.includes(model) && !path.isAbsolute(model)) {
    console.log(`model "${model}" is not installed in ${base.modelsDir}; using test-tiny`);
    model = 'test-tiny';
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'diffuse-bench-engine-'));
  const config = loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    MODEL: model,
    QUEUE_MAX: String(jobs + 10),
    LOG_LEVEL: 'warn',
    METRICS_PORT: '0',
  });
  // The figures depend on what else runs on the machine: the load average is printed with them.
  const load0 = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const engine = createEngine(config, { defaultMetrics: false });
  await engine.start();
  try {
    // Warm-up: load the model and run one job, not counted.
    const warm = accepted(
      await engine.submit(
        { technique: 'imagine', prompt: 'warm up', seed: 1, steps },
        { platform: 'bench', userId: 'warm' },
      ),
    );
    const w = await waitForJob(engine, warm);
    if (w.type !== 'done') throw new Error(`warm-up job ${w.type}: ${'message' in w ? w.message : ''}`);

    // Phase 1: `jobs` jobs back to back; the main thread only relays events (as with a chat adapter).
    const h = monitorEventLoopDelay({ resolution: 5 });
    const t0 = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) {
      ids.push(
        accepted(
          await engine.submit(
            { technique: 'imagine', prompt: 'a red rocket', seed: i, steps },
            { platform: 'bench', userId: `u${i}` },
          ),
        ),
      );
    }
    const sibling = idleSibling();
    const gcPauses: { ms: number; kind: string }[] = [];
    const GC_KINDS: Record<number, string> = {
      1: 'minor',
      2: 'major',
      4: 'incremental',
      8: 'weak callbacks',
    };
    const gcWatch = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0;
        gcPauses.push({ ms: e.duration, kind: GC_KINDS[kind] ?? String(kind) });
      }
    });
    gcWatch.observe({ entryTypes: ['gc'] });
    h.enable();
    const elu0 = perf.eventLoopUtilization();
    const ends = ids.map((id) => waitForJob(engine, id));
    // Phase 2, while the first jobs still wait: submit latency at queue depth ~`jobs`. Each probe job is
    // cancelled right after (it is still queued) to keep the depth; probes arrive one per event-loop turn.
    const lat: number[] = [];
    let depthSeen = 0;
    for (let i = 0; i < samples; i++) {
      await new Promise((res) => setImmediate(res));
      const s = performance.now();
      const r = await engine.submit(
        { technique: 'imagine', prompt: 'a blue cat', seed: i, steps },
        { platform: 'bench', userId: 'probe' },
      );
      lat.push(performance.now() - s);
      if (!r.ok) throw new Error(r.message);
      depthSeen = Math.max(depthSeen, r.position);
      await engine.cancel(r.jobId, { userId: 'probe', isAdmin: false });
    }
    const results = await Promise.all(ends);
    const elapsed = performance.now() - t0;
    h.disable();
    const machine = await sibling.stop();
    gcWatch.disconnect();
    const gcMax = gcPauses.reduce((a, b) => (b.ms > a.ms ? b : a), { ms: 0, kind: 'none' });
    // Share of the time the main thread was busy (less sensitive than the worst delay to other processes).
    const busy = perf.eventLoopUtilization(elu0).utilization;
    const failed = results.filter((r) => r.type !== 'done').length;
    const modelMs = results.reduce((s, r) => s + (r.type === 'done' ? r.result.timings.modelMs : 0), 0);
    lat.sort((a, b) => a - b);
    const cpu = os.cpus();
    const info = engine.health();
    const missing = missingHeapFlags();
    const heap =
      missing.length === 0 ? `heap flags ${HEAP_FLAGS.join(' ')}` : `WITHOUT heap flags ${missing.join(' ')}`;
    console.log(
      `engine bench: ${cpu[0]?.model ?? 'cpu'} x${cpu.length}, node ${process.version} (${heap}), model ${info.model} on ${info.device}, ${steps} steps, load average at start ${load0} / at end ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    console.log(
      `jobs: ${jobs} back to back in ${(elapsed / 1000).toFixed(2)} s -> ${((jobs * 60_000) / elapsed).toFixed(1)} jobs/min (${(elapsed / jobs).toFixed(0)} ms/job, model ${(modelMs / jobs).toFixed(0)} ms/job)${failed ? `, ${failed} FAILED` : ''}`,
    );
    if (lat.length > 0)
      console.log(
        `submit -> job id, ${lat.length} submits at queue depth up to ${depthSeen}: p50 ${quantile(lat, 0.5).toFixed(2)} ms, p99 ${quantile(lat, 0.99).toFixed(2)} ms, max ${lat[lat.length - 1].toFixed(2)} ms (target p99 < 20 ms)`,
      );
    console.log(
      `main thread event loop delay while jobs ran (probes included): max ${(h.max / 1e6).toFixed(1)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(1)} ms, mean ${(h.mean / 1e6).toFixed(1)} ms (target max <= 20 ms); main thread busy ${(busy * 100).toFixed(1)}% of the time`,
    );
    console.log(
      `the same monitor in an idle sibling process over the same interval (the machine's own delays): max ${machine.max.toFixed(1)} ms, p99 ${machine.p99.toFixed(1)} ms; the main thread's garbage collections meanwhile: ${gcPauses.length}, the longest ${gcMax.ms.toFixed(1)} ms (${gcMax.kind})`,
    );
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
