// `npm run bench -- cluster [--workers N] [--jobs J] [--steps S] [--rounds R] [--pairs P] [--model NAME]`
// Scale-out against embedded mode in the same run, on the same model: jobs per minute with J jobs
// queued at once, and (one job at a time on an idle system) submit -> first progress latency and
// submit -> done time, for embedded mode and for 1..N worker processes (one intra-op thread each)
// behind a front-end on a local redis-server (Debian's /usr/bin/redis-server, on a free port).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../src/config.ts';
import { DistributedEngine } from '../src/cluster/distributed-engine.ts';
import { waitForJob, type Engine } from '../src/jobs/api.ts';
import { createEngine } from '../src/engine/engine.ts';
import { createLogger } from '../src/jobs/logger.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

function arg(args: string[], name: string, def: number): number;
function arg(args: string[], name: string, def: string): string;
function arg(args: string[], name: string, def: number | string): number | string {
  const i = args.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= args.length) return def;
  return typeof def === 'number' ? Number(args[i + 1]) : args[i + 1];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts a process and resolves once a line of its output matches `ready`. */
function startUntil(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<ChildProcess> {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const on = (chunk: Buffer) => {
      out += chunk.toString();
      if (ready.test(out)) resolve(child);
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.once('exit', (code) =>
      reject(new Error(`${path.basename(args.at(-1) ?? cmd)} exited (${code}):\n${out.slice(-2000)}`)),
    );
  });
}

async function stopProc(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await exited;
}

interface Figures {
  jobsPerMin: number;
  firstProgressMs: number;
  doneMs: number;
  /** Submit -> done less the run itself (the inference thread's totalMs): queueing, transport, result files. */
  outsideMs: number;
}

const owner = { platform: 'bench', userId: 'bench' };

/** One job: ms to its first progress event, to done, and to done less the run itself. */
async function runOne(engine: Engine, spec: object, seed: number) {
  const t0 = performance.now();
  let first = NaN;
  const r = await engine.submit({ ...spec, seed }, owner);
  if (!r.ok) throw new Error(`submit refused: ${r.message}`);
  const end = await waitForJob(engine, r.jobId, (e) => {
    if (e.type === 'progress' && Number.isNaN(first)) first = performance.now() - t0;
  });
  if (end.type !== 'done') throw new Error(`job ${end.type}: ${JSON.stringify(end)}`);
  const done = performance.now() - t0;
  return { first, done, outside: done - end.result.timings.totalMs };
}

/** Pairs of one embedded then one distributed job with the same seed: medians of their differences. */
async function paired(local: Engine, front: Engine, spec: object, pairs: number) {
  const d: { done: number; outside: number; emb: number }[] = [];
  for (let i = 0; i < pairs; i++) {
    const a = await runOne(local, spec, 4000 + i);
    const b = await runOne(front, spec, 4000 + i);
    d.push({ done: b.done - a.done, outside: b.outside - a.outside, emb: a.done });
  }
  return {
    done: median(d.map((x) => x.done)),
    outside: median(d.map((x) => x.outside)),
    emb: median(d.map((x) => x.emb)),
  };
}

/** One job at a time (latency), then `jobs` at once (throughput). */
async function measure(engine: Engine, spec: object, jobs: number, warmups: number): Promise<Figures> {
  const run = (seed: number) => runOne(engine, spec, seed);
  await Promise.all(Array.from({ length: warmups }, (_, i) => run(1000 + i)));
  const seq = [];
  for (let i = 0; i < 5; i++) seq.push(await run(2000 + i));
  const t0 = performance.now();
  await Promise.all(Array.from({ length: jobs }, (_, i) => run(3000 + i)));
  const wall = performance.now() - t0;
  return {
    jobsPerMin: (jobs * 60_000) / wall,
    firstProgressMs: median(seq.map((s) => s.first)),
    doneMs: mean(seq.map((s) => s.done)),
    outsideMs: median(seq.map((s) => s.outside)),
  };
}

/** Runs the cluster benchmark and prints its figures. */
export async function main(args: string[] = []): Promise<void> {
  const maxWorkers = arg(args, 'workers', 2);
  const jobs = arg(args, 'jobs', 12);
  const steps = arg(args, 'steps', 33);
  const rounds = arg(args, 'rounds', 1);
  const pairs = arg(args, 'pairs', 6);
  if (!existsSync('/usr/bin/redis-server'))
    throw new Error('needs /usr/bin/redis-server (Debian: apt-get install redis-server)');
  const base = loadConfig(process.env);
  const model = arg(args, 'model', base.model);
  const spec = { technique: 'imagine', prompt: 'a rocket', steps, model };
  const log = createLogger('silent');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'diffuse-bench-cluster-'));
  const port = await freePort();
  const redisUrl = `redis://127.0.0.1:${port}`;
  const env = (dir: string, extra: Record<string, string> = {}): Record<string, string> => ({
    DATA_DIR: path.join(tmp, dir),
    MODEL: model,
    MODELS_DIR: base.modelsDir,
    INTRA_OP_THREADS: '1',
    USER_MAX_PENDING: '1000',
    QUEUE_MAX: '1000',
    METRICS_PORT: '0',
    LOG_LEVEL: 'info',
    PROGRESS_INTERVAL_MS: String(base.progressIntervalMs),
    ...extra,
  });
  const config = (dir: string, extra: Record<string, string> = {}): Config => loadConfig(env(dir, extra));
  const redis = await startUntil(
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp],
    {},
    /Ready to accept/,
  );
  const rows: { mode: string; f: Figures }[] = [];
  const header =
    'mode        jobs/min  submit->first progress  submit->done (1 job, idle)  outside the run  overhead vs embedded';
  const show = (mode: string, f: Figures) => {
    const emb = rows[0]?.f ?? f;
    const over =
      mode === 'embedded'
        ? ''
        : `${(((f.outsideMs - emb.outsideMs) / emb.doneMs) * 100).toFixed(1)}% (${(f.outsideMs - emb.outsideMs).toFixed(0)} ms)`;
    rows.push({ mode, f });
    console.log(
      `${mode.padEnd(11)} ${f.jobsPerMin.toFixed(1).padStart(8)}  ${f.firstProgressMs.toFixed(0).padStart(19)} ms  ${f.doneMs.toFixed(0).padStart(23)} ms  ${f.outsideMs.toFixed(0).padStart(12)} ms  ${over}`,
    );
  };
  const tsx = import.meta.resolve('tsx');
  const entry = path.join(ROOT, 'src', 'cluster', 'worker-main.ts');
  try {
    console.log(
      `model ${model}, ${steps} steps, ${jobs} jobs at once, ${rounds} round(s); ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), one intra-op thread per inference thread`,
    );
    const local = createEngine(config('embedded'), { logger: log, defaultMetrics: false });
    await local.start();
    const front = new DistributedEngine(config('frontend', { REDIS_URL: redisUrl, WORKER: 'off' }), {
      logger: log,
      defaultMetrics: false,
    });
    await front.start();
    try {
      // Rounds of embedded, 1 worker, N workers one after the other, so a change of the machine's
      // load shows as a difference between rounds rather than between modes.
      for (let round = 1; round <= rounds; round++) {
        const load = os
          .loadavg()
          .map((x) => x.toFixed(1))
          .join(' ');
        console.log(`\nround ${round}, load average ${load}\n${header}`);
        rows.length = 0;
        show('embedded', await measure(local, spec, jobs, 1));
        const workers: ChildProcess[] = [];
        try {
          for (let n = 1; n <= maxWorkers; n++) {
            const wenv = { PATH: process.env.PATH ?? '', ...env(`worker${n}`, { REDIS_URL: redisUrl }) };
            workers.push(
              await startUntil(process.execPath, ['--import', tsx, entry], wenv, /worker serving model/),
            );
            await new Promise((r) => setTimeout(r, 2500)); // the front-end reads the registry every 2 s
            if (n === 1 || n === maxWorkers)
              show(`${n} worker${n > 1 ? 's' : ''}`, await measure(front, spec, jobs, n));
            if (n === 1) {
              const p = await paired(local, front, spec, pairs);
              const pct = (ms: number) => `${ms.toFixed(0)} ms (${((ms / p.emb) * 100).toFixed(1)}%)`;
              console.log(
                `  paired, ${pairs} x (embedded job, then 1-worker job, same seed), medians of the differences: submit->done ${pct(p.done)}, outside the run ${pct(p.outside)} of the embedded job's ${p.emb.toFixed(0)} ms`,
              );
            }
          }
        } finally {
          await Promise.all(workers.map(stopProc));
        }
        const one = rows.find((r) => r.mode === '1 worker')?.f;
        const last = rows.at(-1)!;
        if (one && last.mode !== '1 worker')
          console.log(
            `${last.mode} vs 1 worker: ${(last.f.jobsPerMin / one.jobsPerMin).toFixed(2)}x jobs/min`,
          );
      }
    } finally {
      await local.close();
      await front.close();
    }
  } finally {
    await stopProc(redis);
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(
    '\noverhead = (submit->done less the run) of the mode minus that of embedded, as a share of the embedded submit->done',
  );
}
