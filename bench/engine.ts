// `npm run bench -- engine [--jobs N] [--steps S] [--model NAME]`
// The two figures a chat user waits on, while jobs run one after another on the default model:
// - acknowledgement: a prober process posts a fake interaction every 25 ms to an HTTP endpoint of
//   the bot's process that answers once the engine has admitted a job for it (what Slack's HTTP
//   receiver and Discord's interaction reply wait on; the 3 s deadline), then cancels it; p50/p99/max.
// - submit -> first preview: each job is submitted when the one before has ended (no queue wait),
//   and timed until its first progress event that carries a preview image; p50/p99.
// And jobs per minute. The control: the same prober times the same requests to an idle process
// that answers at once, over the same interval: its figures are the machine's own delays (the
// scheduler, other processes, a virtual machine's host), not the bot's.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config.ts';
import { waitForJob, type Engine, type SubmitResult } from '../src/jobs/api.ts';
import { createEngine } from '../src/engine/engine.ts';
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

/** The prober: posts to each URL of argv every 25 ms (one request in flight per URL) until stdin closes, then prints each URL's round trips (ms). */
const PROBER = `
const urls = process.argv.slice(1);
const times = urls.map(() => []);
let stop = false;
process.stdin.resume();
process.stdin.on('end', () => { stop = true; });
async function probe(i) {
  while (!stop) {
    const t = performance.now();
    try { await (await fetch(urls[i], { method: 'POST', body: '{}' })).arrayBuffer(); times[i].push(performance.now() - t); }
    catch { times[i].push(Infinity); }
    await new Promise((r) => setTimeout(r, 25));
  }
}
Promise.all(urls.map((_, i) => probe(i))).then(() => process.stdout.write(JSON.stringify(times)));
`;

/** The idle control: a process that answers every request at once; resolves its URL. */
async function idleServer(): Promise<{ url: string; child: ChildProcess }> {
  const code = `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => s.end('ok')); }).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port)); });`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((res) =>
    child.stdout!.once('data', (d: Buffer) => res(d.toString())),
  );
  return { url: `http://127.0.0.1:${port}/`, child };
}

/** The bot's side of a fake interaction: admit a job (then cancel it, keeping the queue as it is) and answer. */
function ackServer(engine: Engine, steps: number): Promise<{ url: string; server: Server }> {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      void engine
        .submit(
          { technique: 'imagine', prompt: 'a blue cat', seed: n++, steps },
          { platform: 'bench', userId: `probe${n % 4}` },
        )
        .then(async (r) => {
          res.end(r.ok ? 'ok' : r.message);
          if (r.ok) await engine.cancel(r.jobId, { userId: 'bench', isAdmin: true });
        });
    });
  });
  return new Promise((res) =>
    server.listen(0, '127.0.0.1', () =>
      res({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, server }),
    ),
  );
}

const fmt = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `p50 ${quantile(s, 0.5).toFixed(1)} ms, p99 ${quantile(s, 0.99).toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms (${s.length} requests)`;
};

/** Runs the engine benchmark and prints its figures. */
export async function main(args: string[] = []): Promise<void> {
  const jobs = arg(args, 'jobs', 10);
  const steps = arg(args, 'steps', 33);
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
    USER_MAX_PENDING: '100',
    LOG_LEVEL: 'warn',
    METRICS_PORT: '0',
  });
  const loadavg = () =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const load0 = loadavg();
  const engine = createEngine(config, { defaultMetrics: false });
  await engine.start();
  const idle = await idleServer();
  const ack = await ackServer(engine, steps);
  try {
    // Warm-up: load the model and run one job, not counted.
    const w = await waitForJob(
      engine,
      accepted(
        await engine.submit(
          { technique: 'imagine', prompt: 'warm up', seed: 1, steps },
          { platform: 'bench', userId: 'warm' },
        ),
      ),
    );
    if (w.type !== 'done') throw new Error(`warm-up job ${w.type}: ${'message' in w ? w.message : ''}`);

    const prober = spawn(process.execPath, ['-e', PROBER, ack.url, idle.url], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    prober.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const proberDone = new Promise<void>((res) => prober.on('close', () => res()));
    const firstPreview: number[] = [];
    let failed = 0;
    let modelMs = 0;
    const t0 = performance.now();
    for (let i = 0; i < jobs; i++) {
      const s = performance.now();
      const id = accepted(
        await engine.submit(
          { technique: 'imagine', prompt: 'a red rocket', seed: i, steps },
          { platform: 'bench', userId: 'u' },
        ),
      );
      let seen = false;
      const off = engine.subscribe(id, (e) => {
        if (!seen && e.type === 'progress' && e.preview) {
          seen = true;
          firstPreview.push(performance.now() - s);
        }
      });
      const end = await waitForJob(engine, id);
      off();
      if (end.type === 'done') modelMs += end.result.timings.modelMs;
      else failed++;
    }
    const elapsed = performance.now() - t0;
    prober.stdin!.end();
    await proberDone;
    const [botTimes, idleTimes] = JSON.parse(out) as [number[], number[]];
    const cpu = os.cpus();
    const info = engine.health();
    console.log(
      `engine bench: ${cpu[0]?.model ?? 'cpu'} x${cpu.length}, node ${process.version}, model ${info.model} on ${info.device}, ${steps} steps, load average at start ${load0} / at end ${loadavg()}`,
    );
    console.log(
      `jobs: ${jobs} one after another in ${(elapsed / 1000).toFixed(2)} s -> ${((jobs * 60_000) / elapsed).toFixed(1)} jobs/min (${(elapsed / jobs).toFixed(0)} ms/job, model ${(modelMs / jobs).toFixed(0)} ms/job)${failed ? `, ${failed} FAILED` : ''}`,
    );
    console.log(
      `submit -> first preview: ${firstPreview.length > 0 ? fmt(firstPreview).replace('requests', 'jobs') : 'no previews'}`,
    );
    console.log(`acknowledgement of a fake interaction while jobs ran: ${fmt(botTimes)} (goal p99 <= 50 ms)`);
    console.log(`control, an idle process answering the same prober: ${fmt(idleTimes)}`);
  } finally {
    ack.server.close();
    idle.child.kill();
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
