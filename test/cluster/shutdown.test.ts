// Stopping the scale-out processes while Redis is down: SIGTERM to the front-end (`dist/src/main.js`
// with REDIS_URL) and to a worker (`dist/src/cluster/worker-main.js`) ends each within 10 s, even
// though closing BullMQ's and ioredis' connections cannot finish (the stop has a deadline).
import { afterAll, describe, expect, it } from 'vitest';
import {
  clusterEnv,
  HAVE_REDIS,
  playgroundUrl,
  startEntryProc,
  TestRedis,
  workDir,
  type Proc,
} from './procs.ts';

/** The exit code, or 'still running' when the process has not exited within `ms`. */
function exitWithin(p: Proc, ms: number): Promise<number | null | 'still running'> {
  return Promise.race([
    p.exited,
    new Promise<'still running'>((r) => setTimeout(() => r('still running'), ms)),
  ]);
}

describe.skipIf(!HAVE_REDIS)(
  'stopping scale-out processes with Redis down (skipped without /usr/bin/redis-server)',
  () => {
    const redis = new TestRedis();
    const fe = workDir('stop-frontend');
    const wd = workDir('stop-worker');
    const procs: Proc[] = [];
    afterAll(async () => {
      await Promise.all(procs.map((p) => p.stop(1000)));
      await redis.close();
      fe.remove();
      wd.remove();
    }, 30_000);

    it('SIGTERM ends the front-end and the worker within 10 s', async () => {
      await redis.start();
      const worker = startEntryProc('worker', clusterEnv(redis.url, wd.dataDir), wd.cwd, 'worker');
      const frontend = startEntryProc(
        'main',
        clusterEnv(redis.url, fe.dataDir, { WORKER: 'off', PLAYGROUND_PORT: '0' }),
        fe.cwd,
        'front-end',
      );
      procs.push(worker, frontend);
      await playgroundUrl(frontend);
      await worker.waitForLine(/worker serving model/);
      await redis.stop();
      await frontend.waitForLine(/Redis is unreachable/, 15_000);
      frontend.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
      const [f, w] = await Promise.all([exitWithin(frontend, 10_000), exitWithin(worker, 10_000)]);
      expect(w).not.toBe('still running');
      expect(f).not.toBe('still running');
    }, 90_000);
  },
);
