// The inference thread, the onnxruntime threads it starts and the libvips threads that encode its
// images run at nice 10; the main thread keeps the normal priority (Linux, where threads have
// their own nice value).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { waitForJob } from '../../src/engine/api.ts';
import { createEngine } from '../../src/engine/engine.ts';
import { testConfig } from './helpers.ts';

/** This process's threads: id, name and nice value (fields 2 and 19 of /proc/self/task/<tid>/stat). */
function threads(): { tid: number; name: string; nice: number }[] {
  const out: { tid: number; name: string; nice: number }[] = [];
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      out.push({ tid: Number(t), name, nice });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

describe.runIf(existsSync('/proc/self/task'))('thread priorities (skipped where there is no /proc)', () => {
  it('inference and its encoders run at nice 10, the main thread at its own priority', async () => {
    const before = new Set(threads().map((t) => t.tid));
    const engine = createEngine(testConfig({ INTRA_OP_THREADS: '2' }), { defaultMetrics: false });
    await engine.start();
    try {
      const r = await engine.submit(
        { technique: 'imagine', prompt: 'a rocket', seed: 1, steps: 3 },
        { platform: 'playground', userId: 'u' },
      );
      if (!r.ok) throw new Error(r.message);
      expect((await waitForJob(engine, r.jobId)).type).toBe('done');
      const now = threads();
      const main = now.find((t) => t.tid === process.pid);
      expect(main?.nice).toBe(0);
      // The inference thread and onnxruntime's second intra-op thread, both started by the engine.
      expect(now.filter((t) => !before.has(t.tid) && t.nice === 10).length).toBeGreaterThanOrEqual(2);
      const vips = now.filter((t) => t.name === 'libvips worker');
      expect(vips.length).toBeGreaterThan(0);
      expect(vips.every((t) => t.nice === 10)).toBe(true);
    } finally {
      await engine.close();
    }
  });
});
