// Inference runs in its own process at INFERENCE_NICE (default 10), every thread of it (onnxruntime's, libvips',
// libuv's and V8's helpers); the bot's own process keeps the normal priority (Linux, where
// threads have their own nice value).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { waitForJob } from '../../src/jobs/api.ts';
import { createEngine } from '../../src/engine/engine.ts';
import { testConfig } from './helpers.ts';

/** A process's threads: id, name and nice value (fields 2 and 19 of /proc/<pid>/task/<tid>/stat). */
function threads(pid: number | 'self'): { tid: number; name: string; nice: number }[] {
  const out: { tid: number; name: string; nice: number }[] = [];
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      out.push({ tid: Number(t), name, nice });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** This process's children whose command line runs the inference worker's boot file. */
function inferenceChildren(): number[] {
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('inference/worker-boot.mjs')) pids.push(Number(p));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

describe.runIf(existsSync('/proc/self/task'))('process priorities (skipped where there is no /proc)', () => {
  it('every thread of the inference process runs at INFERENCE_NICE (5 here), this process at its own priority', async () => {
    const niceBefore = new Map(threads('self').map((t) => [t.tid, t.nice]));
    const engine = createEngine(testConfig({ INTRA_OP_THREADS: '2', INFERENCE_NICE: '5' }), { defaultMetrics: false });
    await engine.start();
    try {
      const r = await engine.submit(
        { technique: 'imagine', prompt: 'a rocket', seed: 1, steps: 3 },
        { platform: 'playground', userId: 'u' },
      );
      if (!r.ok) throw new Error(r.message);
      expect((await waitForJob(engine, r.jobId)).type).toBe('done');
      // Nothing of this process was lowered: the threads that existed keep their nice value, new ones run at 0.
      for (const t of threads('self')) expect(t.nice).toBe(niceBefore.get(t.tid) ?? 0);
      const children = inferenceChildren();
      expect(children).toHaveLength(1);
      const inference = threads(children[0]);
      // Its main thread, V8's and libuv's helpers, onnxruntime's second intra-op thread and libvips' encoders.
      expect(inference.length).toBeGreaterThan(8);
      expect(inference.filter((t) => t.name === 'libvips worker').length).toBeGreaterThan(0);
      expect(inference.filter((t) => t.nice !== 5)).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});
