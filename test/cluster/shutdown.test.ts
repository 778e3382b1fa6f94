// Starting and stopping the scale-out processes while Redis is down. A front-end started while
// Redis is down answers /healthz (not ok) at once. Stopping them: SIGTERM to the front-end (`dist/src/main.js`
// with REDIS_URL) and to a worker (`dist/src/cluster/worker-main.js`) ends each within 10 s, even
// though closing BullMQ's and ioredis' connections cannot finish (the stop has a deadline).
import { afterAll, describe, expect, it } from 'vitest';
import {
  clusterEnv,
  freePort,
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

describe('a front-end started while Redis is down', () => {
  it('answers /healthz (503, not ok) while it waits for Redis, and warns that METRICS_HOST is not loopback', async () => {
    const d = workDir('no-redis');
    const [redisPort, metricsPort] = [await freePort(), await freePort()];
    const env = clusterEnv(`redis://127.0.0.1:${redisPort}`, d.dataDir, {
      WORKER: 'off',
      PLAYGROUND_PORT: '0',
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '0.0.0.0',
    });
    const frontend = startEntryProc('main', env, d.cwd, 'front-end');
    try {
      await frontend.waitForLine(/health and metrics on/, 30_000);
      expect(frontend.lines.join('\n')).toMatch(
        /METRICS_HOST 0\.0\.0\.0 serves \/healthz and \/metrics to other machines without authentication/,
      );
      const res = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ ok: false });
    } finally {
      await frontend.stop(2000);
      d.remove();
    }
  }, 60_000);
});
