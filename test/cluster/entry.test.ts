// The entry points of scale-out mode as a user starts them: `npm start` with REDIS_URL and the
// default WORKER=on runs a job with its own worker; `diffuse worker` without REDIS_URL says what
// is missing and exits 2.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  clusterEnv,
  HAVE_REDIS,
  PlaygroundUser,
  playgroundUrl,
  REPO_ROOT,
  startEntryProc,
  startProc,
  TestRedis,
  workDir,
} from './procs.ts';

describe('scale-out entry points', () => {
  const dirs: { remove(): void }[] = [];
  afterAll(() => dirs.forEach((d) => d.remove()));

  it('diffuse worker without REDIS_URL says it needs one and exits 2', async () => {
    const d = workDir('cli-worker');
    dirs.push(d);
    const p = startProc(
      process.execPath,
      [path.join(REPO_ROOT, 'bin', 'diffuse.js'), 'worker'],
      { DATA_DIR: d.dataDir },
      d.cwd,
      'diffuse worker',
    );
    expect(await p.exited).toBe(2);
    expect(p.lines.join('\n')).toMatch(/diffuse-worker: REDIS_URL is not set/);
  }, 30_000);

  it.skipIf(!HAVE_REDIS)(
    'npm start with REDIS_URL (WORKER on by default) runs a job on its own worker',
    async () => {
      const redis = new TestRedis();
      await redis.start();
      const d = workDir('all-in-one');
      dirs.push(d);
      const main = startEntryProc(
        'main',
        clusterEnv(redis.url, d.dataDir, { PLAYGROUND_PORT: '0' }),
        d.cwd,
        'npm start',
      );
      try {
        const user = new PlaygroundUser(await playgroundUrl(main));
        await main.waitForLine(/worker serving model/);
        const r = await user.submit('/imagine a tree --seed 5 --steps 3');
        expect(r.status, JSON.stringify(r.json)).toBe(202);
        expect((await user.waitStatus(String(r.json.jobId), ['done', 'failed', 'cancelled'])).status).toBe(
          'done',
        );
        expect(main.logs('job done').filter((l) => l.jobId === r.json.jobId).length).toBe(2); // the worker's and the front-end's
      } finally {
        await main.stop();
        await redis.close();
      }
    },
    60_000,
  );
});
