// `npm run bench -- uploads [--uploads N] [--side PX] [--rounds R] [--poll-ms MS] [--no-compare]`
// Submits N (default 10) small-file PNGs that declare PX x PX pixels at once through engine.storeUpload (the
// path a chat upload takes: the header, and libvips' stats where there is an alpha channel) while
// another thread polls /healthz; prints the worst and p99 /healthz latency and the main thread's
// worst event-loop delay. A phase with no uploads shows the machine's noise floor. --no-compare
// skips the last phase, the full decodeImage (what the inference process does once per job) run
// in this process for comparison.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { loadConfig } from '../src/config.ts';
import { createEngine } from '../src/engine/engine.ts';
import { startHealthServer } from '../src/engine/http-health.ts';
import { decodeImage } from '../src/imaging/index.ts';
import { listModels } from '../src/runtime/index.ts';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i < 0 || i + 1 >= args.length ? def : Number(args[i + 1]);
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

// The poller runs in its own thread so that a stalled main thread delays the answers it measures,
// never the requests it sends. Plain JavaScript (eval), keep-alive connection, one request at a time.
const POLLER = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const lat = [];
let stop = false;
parentPort.on('message', () => { stop = true; });
function once() {
  return new Promise((resolve) => {
    const t = performance.now();
    http.get(workerData.url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t));
    }).on('error', () => resolve(performance.now() - t));
  });
}
(async () => {
  parentPort.postMessage({ type: 'ready' });
  while (!stop) {
    lat.push(await once());
    await new Promise((r) => setTimeout(r, workerData.pollMs));
  }
  agent.destroy();
  parentPort.postMessage({ type: 'done', lat });
})();
`;

interface Figures {
  lat: number[];
  loopMaxMs: number;
  loopP99Ms: number;
  wallMs: number;
  /** Share of the time the main thread spent running callbacks (event-loop utilization). */
  elu: number;
}

/** Runs `work` while /healthz is polled from another thread and the main loop's delay is sampled. */
async function measure(url: string, pollMs: number, work: () => Promise<unknown>): Promise<Figures> {
  const poller = new Worker(POLLER, { eval: true, workerData: { url: `${url}/healthz`, pollMs } });
  const done = new Promise<number[]>((resolve, reject) => {
    poller.on('message', (m: { type: string; lat?: number[] }) => {
      if (m.type === 'done') resolve(m.lat ?? []);
    });
    poller.on('error', reject);
  });
  await new Promise<void>((r) => poller.once('message', () => r()));
  await new Promise((r) => setTimeout(r, 200)); // a few quiet polls first
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  await work();
  const wallMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 200));
  const elu = performance.eventLoopUtilization(elu0).utilization;
  h.disable();
  poller.postMessage('stop');
  const lat = (await done).sort((a, b) => a - b);
  await poller.terminate();
  return { lat, loopMaxMs: h.max / 1e6, loopP99Ms: h.percentile(99) / 1e6, wallMs, elu };
}

function report(what: string, f: Figures): void {
  console.log(
    `${what}: ${(f.wallMs / 1000).toFixed(2)} s; /healthz over ${f.lat.length} polls: worst ${f.lat[f.lat.length - 1].toFixed(1)} ms, p99 ${quantile(f.lat, 0.99).toFixed(1)} ms, p50 ${quantile(f.lat, 0.5).toFixed(1)} ms; main-thread event-loop delay max ${f.loopMaxMs.toFixed(1)} ms, p99 ${f.loopP99Ms.toFixed(1)} ms, utilization ${(f.elu * 100).toFixed(0)}%`,
  );
}

/** Small PNGs that declare side x side pixels: flat colours, half of them half-transparent (their alpha is read by stats). */
async function buildUploads(n: number, side: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const alpha = i % 2 === 1;
    const background = {
      r: (40 + 29 * i) % 256,
      g: (90 + 53 * i) % 256,
      b: (200 + 17 * i) % 256,
      alpha: alpha ? 0.5 : 1,
    };
    out.push(
      await sharp({ create: { width: side, height: side, channels: alpha ? 4 : 3, background } })
        .png({ compressionLevel: 9 })
        .toBuffer(),
    );
  }
  return out;
}

/** Runs the uploads benchmark and prints its figures. */
export async function main(args: string[] = []): Promise<void> {
  const n = arg(args, 'uploads', 10);
  const side = arg(args, 'side', 5000);
  const rounds = arg(args, 'rounds', 2);
  const pollMs = arg(args, 'poll-ms', 10);
  const compare = !args.includes('--no-compare');
  const base = loadConfig(process.env);
  const installed = listModels(base.modelsDir)
    .filter((m) => !m.error)
    .map((m) => m.name);
  const model = installed.includes(base.model) ? base.model : 'test-tiny';
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'diffuse-bench-uploads-'));
  const config = loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    MODEL: model,
    LOG_LEVEL: 'warn',
    METRICS_PORT: '0',
  });
  const engine = createEngine(config, { defaultMetrics: false });
  await engine.start();
  const health = await startHealthServer({
    host: '127.0.0.1',
    port: 0,
    health: () => engine.health(),
    registry: engine.metrics.registry,
  });
  try {
    const pngs = await buildUploads(n, side);
    const kb = pngs.map((p) => p.length / 1024);
    const cpu = os.cpus();
    console.log(
      `uploads bench: ${cpu[0]?.model ?? 'cpu'} x${cpu.length}, node ${process.version}; ${n} PNGs of ${side}x${side} (${Math.min(...kb).toFixed(0)}-${Math.max(...kb).toFixed(0)} KB) at once, /healthz polled every ${pollMs} ms from another thread`,
    );
    // The same polling with nothing else to do: what the machine's own noise looks like.
    let floorMs = 0;
    for (let r = 1; r <= rounds; r++) {
      const f = await measure(health.url, pollMs, async () => {
        const results = await Promise.all(pngs.map((p) => engine.storeUpload(p)));
        const bad = results.filter((x) => !x.ok || x.width !== side);
        if (bad.length) throw new Error(`${bad.length} uploads refused: ${JSON.stringify(bad[0])}`);
      });
      report(`engine.storeUpload, round ${r}`, f);
      floorMs = Math.max(floorMs, f.wallMs);
    }
    report(
      'no uploads, same polling (noise floor)',
      await measure(health.url, pollMs, () => new Promise((r) => setTimeout(r, Math.min(floorMs, 20_000)))),
    );
    if (compare) {
      const f = await measure(health.url, pollMs, () => Promise.all(pngs.map((p) => decodeImage(p))));
      report('for comparison, the full decodeImage of each (done once per job in the inference process)', f);
    }
    console.log('target: worst /healthz latency under 100 ms');
  } finally {
    await health.close();
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
