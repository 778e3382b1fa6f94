// Shared by the bot's process, the inference process and the CLI.
// Prometheus metrics of the engine (prom-client), on a registry of their own.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The engine's metrics. */
export interface EngineMetrics {
  registry: Registry;
  jobs: Counter<'technique' | 'status'>;
  failures: Counter<'reason'>;
  jobDuration: Histogram<'technique'>;
  queueWait: Histogram;
  stepLatency: Histogram;
  workerRestarts: Counter;
}

/** Creates the metrics; `queueLength` and `running` are read at scrape time. */
export function createEngineMetrics(
  gauges: { queueLength(): number; running(): number },
  withDefaults = true,
): EngineMetrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'diffuse_' });
  new Gauge({
    name: 'diffuse_queue_length',
    help: 'Jobs waiting in the queue (not counting the running one).',
    registers: [registry],
    collect() {
      this.set(gauges.queueLength());
    },
  });
  new Gauge({
    name: 'diffuse_jobs_running',
    help: 'Jobs running now (0 or 1 per device).',
    registers: [registry],
    collect() {
      this.set(gauges.running());
    },
  });
  return {
    registry,
    jobs: new Counter({
      name: 'diffuse_jobs_total',
      help: 'Finished jobs by technique and final status.',
      labelNames: ['technique', 'status'],
      registers: [registry],
    }),
    failures: new Counter({
      name: 'diffuse_job_failures_total',
      help: 'Failed jobs by reason (error, crash, timeout, input, restart).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'diffuse_job_duration_seconds',
      help: 'Run time of successful jobs, start to result files.',
      labelNames: ['technique'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320, 640],
      registers: [registry],
    }),
    queueWait: new Histogram({
      name: 'diffuse_queue_wait_seconds',
      help: 'Time from submit to start.',
      buckets: [0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800],
      registers: [registry],
    }),
    stepLatency: new Histogram({
      name: 'diffuse_step_latency_seconds',
      help: 'Mean denoising step time of each job.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    workerRestarts: new Counter({
      name: 'diffuse_worker_restarts_total',
      help: 'Inference worker processes restarted after a crash.',
      registers: [registry],
    }),
  };
}
