// `npm run bench -- playground-bodies [--count N] [--mb M]`
// Large JSON request bodies against the playground (issue 28: 10 x 22.7 MB held /healthz up to
// 1.1 s): while one thread polls /healthz and another sends N bodies of M MB at once (with a
// Content-Length, then streamed without one), prints the worst and p99 /healthz latency and the
// answers, under the JSON body limit (1 MiB) and, for comparison, with JSON read up to the whole
// body limit (25 MiB, as before the limit); an idle phase gives the machine's noise floor.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { startPlayground } from '../src/adapters/playground/index.ts';
import { loadConfig } from '../src/config.ts';
import { createEngine } from '../src/engine/engine.ts';
import { startHealthServer } from '../src/engine/http-health.ts';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i < 0 || i + 1 >= args.length ? def : Number(args[i + 1]);
}

// Polls in its own thread (a stalled main thread delays the answers, never the requests).
const POLLER = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let lat = [];
let stop = false;
parentPort.on('message', (m) => {
  if (m === 'stop') stop = true;
  else { parentPort.postMessage(lat); lat = []; }
});
function once(url) {
  return new Promise((resolve) => {
    const t = performance.now();
    http.get(url, { agent }, (res) => { res.resume(); res.on('end', () => resolve(performance.now() - t)); })
      .on('error', () => resolve(performance.now() - t));
  });
}
(async () => {
  parentPort.postMessage('ready');
  while (!stop) {
    lat.push(await once(workerData.url));
    await new Promise((r) => setTimeout(r, 5));
  }
  agent.destroy();
})();
`;

// Sends the bodies in its own thread, so that sending costs the server's thread nothing.
const SENDER = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const head = '{"command":"imagine","options":{"prompt":"a cat"},"pad":"';
const body = Buffer.from(head + 'x'.repeat(workerData.bytes - head.length - 2) + '"}');
function send(declare) {
  return new Promise((resolve) => {
    const req = http.request(workerData.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(declare ? { 'content-length': body.length } : {}) } });
    req.on('response', (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', () => resolve('reset'));
    req.end(body);
  });
}
parentPort.on('message', async (declare) => {
  const statuses = await Promise.all(Array.from({ length: workerData.count }, () => send(declare)));
  parentPort.postMessage(statuses);
});
`;

function q(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
}

/** Runs the bench and prints its figures. */
export async function main(args: string[]): Promise<void> {
  const count = arg(args, 'count', 10);
  const bytes = Math.round(arg(args, 'mb', 22.7) * 1e6);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'diffuse-bench-bodies-'));
  const config = loadConfig({
    DATA_DIR: dir,
    MODEL: 'test-tiny',
    MODELS_DIR: path.resolve(import.meta.dirname, '..', 'models'),
    LOG_LEVEL: 'silent',
    PLAYGROUND_PORT: '0',
    USER_MAX_PENDING: '1000',
    QUEUE_MAX: '10000',
  });
  const engine = createEngine(config, { defaultMetrics: false });
  await engine.start();
  const hs = await startHealthServer({ host: '127.0.0.1', port: 0, health: () => engine.health(), registry: engine.metrics.registry });
  const poller = new Worker(POLLER, { eval: true, workerData: { url: `${hs.url}/healthz` } });
  await new Promise((r) => poller.once('message', r));
  const take = (): Promise<number[]> =>
    new Promise((resolve) => {
      poller.once('message', resolve);
      poller.postMessage('take');
    });
  const report = (label: string, lat: number[], extra = ''): void => {
    const s = [...lat].sort((x, y) => x - y);
    console.log(`${label.padEnd(58)} polls ${String(s.length).padStart(4)}  p99 ${q(s, 0.99).toFixed(1)} ms  worst ${(s.at(-1) ?? NaN).toFixed(1)} ms${extra}`);
  };
  try {
    await new Promise((r) => setTimeout(r, 1000));
    report('idle (noise floor)', await take());
    for (const [label, maxJsonBytes] of [
      ['JSON limit 1 MiB', undefined],
      ['JSON read up to 25 MiB (before the limit)', 25 * 1024 * 1024],
    ] as const) {
      const pg = await startPlayground(config, engine, { historyFile: null, sessionKeyFile: null, maxJsonBytes });
      const sender = new Worker(SENDER, { eval: true, workerData: { url: new URL('/api/jobs', pg.url).href, bytes, count } });
      try {
        for (const declare of [true, false]) {
          await take();
          const statuses = await new Promise<unknown[]>((resolve) => {
            sender.once('message', resolve);
            sender.postMessage(declare);
          });
          const seen = [...new Set(statuses)].map((s) => `${String(s)} x${statuses.filter((x) => x === s).length}`);
          report(`${label}, ${declare ? 'Content-Length' : 'streamed'}`, await take(), `  ${count} x ${(bytes / 1e6).toFixed(1)} MB: ${seen.join(', ')}`);
        }
      } finally {
        await sender.terminate();
        await pg.stop();
      }
    }
    console.log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), load ${os.loadavg()[0].toFixed(2)}`);
  } finally {
    poller.postMessage('stop');
    await hs.close();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
