// `npm run bench -- content-rules [--rounds R] [--chars N]`
// The ReDoS corpus of issue 28 as CONTENT_RULES_FILE: while another thread polls /healthz and the
// playground's /api/health, submits /imagine and /hybrid jobs whose prompts (at the 500-character
// limit) make a backtracking engine try every split, and checks N-character prompts (default
// 10,000) against the same rules on the main thread; prints the worst and p99 latency beside an
// idle phase (the machine's noise floor) and the time of each check.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { startPlayground } from '../src/adapters/playground/index.ts';
import { loadConfig } from '../src/config.ts';
import { ContentRules, loadGlobalRules } from '../src/engine/content-rules.ts';
import { createEngine } from '../src/engine/engine.ts';
import { startHealthServer } from '../src/engine/http-health.ts';

const CORPUS = [
  '/((a+))+$/',
  '/(?:(a+))+$/',
  '/(a|a?)+$/',
  '/(.*a){12}$/',
  '/((\\w+\\s?))+$/',
  '/.*.*.*.*.*.*=$/',
];

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  return i < 0 || i + 1 >= args.length ? def : Number(args[i + 1]);
}

function prompts(n: number): string[] {
  return [
    'a'.repeat(n - 1) + '!',
    'lorem ipsum '.repeat(Math.ceil(n / 12)).slice(0, n - 1) + '!',
    'a'.repeat(n),
    'a'.repeat(n - 1) + '=',
  ];
}

// Polls in its own thread (a stalled main thread delays the answers, never the requests).
const POLLER = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let lat = [];
let bad = 0;
parentPort.on('message', (m) => {
  if (m === 'stop') stop = true;
  else { parentPort.postMessage({ lat, bad }); lat = []; bad = 0; }
});
let stop = false;
function once(url) {
  return new Promise((resolve) => {
    const t = performance.now();
    http.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => { if (res.statusCode !== 200) bad++; resolve(performance.now() - t); });
    }).on('error', () => { bad++; resolve(performance.now() - t); });
  });
}
(async () => {
  parentPort.postMessage('ready');
  for (let k = 0; !stop; k++) {
    lat.push(await once(workerData.urls[k % workerData.urls.length]));
    await new Promise((r) => setTimeout(r, 5));
  }
  agent.destroy();
})();
`;

function q(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
}

/** Runs the bench and prints its figures. */
export async function main(args: string[]): Promise<void> {
  const rounds = arg(args, 'rounds', 5);
  const chars = arg(args, 'chars', 10_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'diffuse-bench-rules-'));
  const file = path.join(dir, 'rules.txt');
  writeFileSync(file, CORPUS.join('\n'));
  const config = loadConfig({
    DATA_DIR: dir,
    MODEL: 'test-tiny',
    MODELS_DIR: path.resolve(import.meta.dirname, '..', 'models'),
    LOG_LEVEL: 'silent',
    PLAYGROUND_PORT: '0',
    USER_MAX_PENDING: '1000',
    QUEUE_MAX: '10000',
    CONTENT_RULES_FILE: file,
  });
  const engine = createEngine(config, { defaultMetrics: false });
  await engine.start();
  const pg = await startPlayground(config, engine);
  const hs = await startHealthServer({
    host: '127.0.0.1',
    port: 0,
    health: () => engine.health(),
    registry: engine.metrics.registry,
  });
  const rules = new ContentRules(loadGlobalRules(config), null);
  const owner = { platform: 'bench', userId: 'u' };
  const worker = new Worker(POLLER, {
    eval: true,
    workerData: { urls: [`${hs.url}/healthz`, new URL('/api/health', pg.url).href] },
  });
  await new Promise((r) => worker.once('message', r));
  const take = (): Promise<{ lat: number[]; bad: number }> =>
    new Promise((resolve) => {
      worker.once('message', resolve);
      worker.postMessage('take');
    });
  const post = async (body: unknown): Promise<number> => {
    const res = await fetch(new URL('/api/jobs', pg.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    return res.status;
  };
  const submitAll = async (): Promise<{ statuses: number[]; checkMs: number[] }> => {
    const statuses: number[] = [];
    const checkMs: number[] = [];
    const long = prompts(chars);
    for (const [k, p] of prompts(500).entries()) {
      statuses.push(await post({ command: 'imagine', options: { prompt: p, negative: p, steps: 1 } }));
      statuses.push(await post({ command: 'hybrid', options: { prompt_far: p, prompt_near: p, steps: 1 } }));
      const t = performance.now();
      rules.check({ prompt: long[k] }, owner);
      checkMs.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 20));
    }
    return { statuses, checkMs };
  };
  const report = (label: string, r: { lat: number[]; bad: number }, extra = ''): void => {
    const s = [...r.lat].sort((x, y) => x - y);
    console.log(
      `${label.padEnd(22)} polls ${String(s.length).padStart(4)}  not answered/not 200 ${r.bad}  p99 ${q(s, 0.99).toFixed(1)} ms  worst ${(s.at(-1) ?? NaN).toFixed(1)} ms${extra}`,
    );
  };
  try {
    const cold = await submitAll();
    report(
      'first round (cold)',
      await take(),
      `  checks ${cold.checkMs.map((m) => m.toFixed(0)).join('/')} ms`,
    );
    await new Promise((r) => setTimeout(r, 1000));
    report('idle (noise floor)', await take());
    const lat: number[] = [];
    let bad = 0;
    const checks: number[] = [];
    const statuses = new Set<number>();
    for (let k = 0; k < rounds; k++) {
      const r = await submitAll();
      r.statuses.forEach((x) => statuses.add(x));
      checks.push(...r.checkMs);
      const t = await take();
      lat.push(...t.lat);
      bad += t.bad;
    }
    checks.sort((x, y) => x - y);
    report(
      `corpus x ${rounds} rounds`,
      { lat, bad },
      `  ${chars}-char check worst ${checks.at(-1)?.toFixed(1)} ms; submit answers ${[...statuses].join(',')}`,
    );
    console.log(
      `node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), load ${os.loadavg()[0].toFixed(2)}`,
    );
  } finally {
    worker.postMessage('stop');
    await hs.close();
    await pg.stop();
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
