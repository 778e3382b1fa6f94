// Runs in the bot's process (scale-out front-end) and the scale-out worker.
// Metrics and health of a worker process (/metrics, /healthz): queue depth and jobs by state
// for each model it serves (read from BullMQ at scrape time), its finished jobs, step time and
// busy ratio (share of its uptime spent running jobs).
import type { Queue } from 'bullmq';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

/** A worker's metrics. */
export interface WorkerMetrics {
  registry: Registry;
  jobs: Counter<'model' | 'status'>;
  stepLatency: Histogram<'model'>;
  jobDuration: Histogram<'model'>;
  /** Counts a run of `ms` milliseconds towards the busy ratio. */
  addBusy(ms: number): void;
  /** Last counts read by a scrape or the health timer, per model. */
  counts: Map<string, Record<string, number>>;
  /** Reads the job counts of every queue now. */
  refresh(): Promise<void>;
}

/** Creates the metrics of a worker serving `queues` (model name → its BullMQ queue). */
export function createWorkerMetrics(
  queues: Map<string, Queue>,
  busyNow: () => number,
  withDefaults = true,
): WorkerMetrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'diffuse_worker_' });
  const started = Date.now();
  let busyMs = 0;
  const counts = new Map<string, Record<string, number>>();
  const refresh = async () => {
    for (const [model, q] of queues) counts.set(model, await q.getJobCounts(...STATES));
  };
  new Gauge({
    name: 'diffuse_cluster_queue_depth',
    help: 'Jobs waiting for a worker, per model (all workers of the model share the queue).',
    labelNames: ['model'],
    registers: [registry],
    async collect() {
      await refresh().catch(() => undefined);
      for (const [model, c] of counts)
        this.set({ model }, (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0));
    },
  });
  new Gauge({
    name: 'diffuse_cluster_jobs',
    help: 'Jobs in the shared queue by model and BullMQ state (completed and failed: those not trimmed yet).',
    labelNames: ['model', 'state'],
    registers: [registry],
    async collect() {
      await refresh().catch(() => undefined);
      for (const [model, c] of counts) for (const s of STATES) this.set({ model, state: s }, c[s] ?? 0);
    },
  });
  new Gauge({
    name: 'diffuse_worker_busy_ratio',
    help: 'Share of this worker process uptime spent running jobs (0 to 1).',
    registers: [registry],
    collect() {
      const up = Date.now() - started;
      this.set(up > 0 ? Math.min(1, (busyMs + busyNow()) / up) : 0);
    },
  });
  return {
    registry,
    counts,
    refresh,
    addBusy: (ms) => (busyMs += ms),
    jobs: new Counter({
      name: 'diffuse_worker_jobs_total',
      help: 'Jobs this worker finished, by model and status (done, failed, cancelled, requeued).',
      labelNames: ['model', 'status'],
      registers: [registry],
    }),
    stepLatency: new Histogram({
      name: 'diffuse_step_latency_seconds',
      help: 'Mean denoising step time of each job.',
      labelNames: ['model'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'diffuse_job_duration_seconds',
      help: 'Run time of successful jobs on this worker, start to result blobs.',
      labelNames: ['model'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320, 640],
      registers: [registry],
    }),
  };
}
