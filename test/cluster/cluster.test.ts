// Scale-out end to end: a real redis-server on 127.0.0.1, one front-end (`src/main.ts` with
// REDIS_URL and WORKER=off, driven through its playground API) and three worker processes (the
// worker entry) on the tiny test model. The tests run in order on the same processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clusterEnv,
  HAVE_REDIS,
  PlaygroundUser,
  playgroundUrl,
  startEntryProc,
  TestRedis,
  workDir,
  type Proc,
} from './procs.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Submits `n` jobs `/imagine <prompt> --seed <seed + i> --steps <steps>`; each must be accepted. Their ids. */
async function submitJobs(
  user: PlaygroundUser,
  n: number,
  prompt: string,
  seed: number,
  steps: number,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await user.submit(`/imagine ${prompt} --seed ${seed + i} --steps ${steps}`);
    expect(r.status).toBe(202);
    ids.push(String(r.json.jobId));
  }
  return ids;
}

/** How many "job done" lines each job id has in the given processes' logs. */
function doneCounts(procs: Proc[]): Map<string, number> {
  const n = new Map<string, number>();
  for (const p of procs)
    for (const l of p.logs('job done')) n.set(String(l.jobId), (n.get(String(l.jobId)) ?? 0) + 1);
  return n;
}

describe.skipIf(!HAVE_REDIS)('scale-out with BullMQ on Redis (skipped without /usr/bin/redis-server)', () => {
  const redis = new TestRedis();
  const fe = workDir('frontend');
  const workerDirs = [workDir('worker1'), workDir('worker2'), workDir('worker3')];
  const workers: Proc[] = [];
  let frontend: Proc;
  let base = '';
  const feEnv = () =>
    clusterEnv(redis.url, fe.dataDir, {
      WORKER: 'off',
      PLAYGROUND_PORT: '0',
      USER_MAX_PENDING: '10',
      QUEUE_MAX: '50',
    });

  beforeAll(async () => {
    await redis.start();
    workerDirs.forEach((d, i) =>
      workers.push(startEntryProc('worker', clusterEnv(redis.url, d.dataDir), d.cwd, `worker${i + 1}`)),
    );
    frontend = startEntryProc('main', feEnv(), fe.cwd, 'front-end');
    base = await playgroundUrl(frontend);
    await Promise.all(workers.map((w) => w.waitForLine(/worker serving model/)));
  }, 90_000);

  afterAll(async () => {
    await Promise.all([frontend?.stop(), ...workers.map((w) => w.stop())]);
    await redis.close();
    for (const d of [fe, ...workerDirs]) d.remove();
  }, 30_000);

  it('30 jobs from three users all finish, each run to completion exactly once, spread over the workers', async () => {
    const users = [0, 1, 2].map(() => new PlaygroundUser(base));
    const ids: { user: PlaygroundUser; jobId: string }[] = [];
    for (let i = 0; i < 10; i++) {
      for (const [u, user] of users.entries()) {
        const r = await user.submit(`/imagine a rocket --seed ${u * 100 + i} --steps 3`);
        expect(r.status, JSON.stringify(r.json)).toBe(202);
        ids.push({ user, jobId: String(r.json.jobId) });
      }
    }
    for (const { user, jobId } of ids)
      expect((await user.waitStatus(jobId, ['done', 'failed', 'cancelled'])).status).toBe('done');
    const byWorker = doneCounts(workers);
    const byFrontend = doneCounts([frontend]);
    for (const { jobId } of ids) {
      expect(byWorker.get(jobId), jobId).toBe(1);
      expect(byFrontend.get(jobId), jobId).toBe(1);
    }
    expect(workers.filter((w) => w.logs('job done').length > 0).length).toBeGreaterThanOrEqual(2);
    const img = await fetch(`${base}/api/jobs/${ids[0].jobId}/image.png`);
    expect(img.status).toBe(200);
    expect(
      Buffer.from(await img.arrayBuffer())
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  }, 120_000);

  it('a worker killed with SIGKILL mid-job: its job runs again on another worker and every job finishes once', async () => {
    const user = new PlaygroundUser(base);
    const ids = await submitJobs(user, 5, 'a ghost', 500, 100);
    // The first worker seen starting one of these jobs is killed in the middle of it.
    const started = () =>
      workers.find((w) => w.logs('job started').some((l) => ids.includes(String(l.jobId))));
    const until = Date.now() + 30_000;
    while (!started() && Date.now() < until) await sleep(20);
    const victim = started()!;
    const killedJob = String(victim.logs('job started').find((l) => ids.includes(String(l.jobId)))!.jobId);
    await sleep(100);
    victim.child.kill('SIGKILL');
    await victim.exited;
    workers.splice(workers.indexOf(victim), 1);
    expect(doneCounts([victim]).get(killedJob)).toBeUndefined();
    for (const jobId of ids)
      expect((await user.waitStatus(jobId, ['done', 'failed', 'cancelled'], 90_000)).status).toBe('done');
    const counts = doneCounts(workers);
    for (const jobId of ids) expect(counts.get(jobId), jobId).toBe(1);
    // It was taken again after the stalled-job check found its worker gone.
    const takes = workers.flatMap((w) => w.logs('job started')).filter((l) => l.jobId === killedJob);
    expect(takes.length).toBe(1);
    expect(takes[0].attempt).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('cancels a queued job and a running job from the front-end', async () => {
    const user = new PlaygroundUser(base);
    const ids = await submitJobs(user, 8, 'a moon', 700, 100);
    // Two workers are left: the first two jobs run, the last one waits behind five others.
    const last = ids[7];
    const c1 = await user.request('DELETE', `/api/jobs/${last}`);
    expect(c1.status, JSON.stringify(c1.json)).toBe(200);
    expect(c1.json.status).toBe('cancelled');
    // The first job seen running is cancelled mid-run.
    let runningId = '';
    const until = Date.now() + 30_000;
    while (!runningId && Date.now() < until) {
      for (const id of ids.slice(0, 2))
        if ((await user.request('GET', `/api/jobs/${id}`)).json.status === 'running') runningId ||= id;
    }
    expect(runningId).not.toBe('');
    const c2 = await user.request('DELETE', `/api/jobs/${runningId}`);
    expect(c2.status, JSON.stringify(c2.json)).toBe(200);
    expect(c2.json.status).toBe('cancelled');
    const others = ids.slice(0, 7).filter((id) => id !== runningId);
    for (const id of others)
      expect((await user.waitStatus(id, ['done', 'failed', 'cancelled'])).status).toBe('done');
    expect((await user.request('GET', `/api/jobs/${runningId}`)).json.status).toBe('cancelled');
    expect((await user.request('GET', `/api/jobs/${last}`)).json.status).toBe('cancelled');
    const counts = doneCounts(workers);
    expect(counts.get(runningId)).toBeUndefined();
    expect(counts.get(last)).toBeUndefined();
    expect(workers.flatMap((w) => w.logs('job started')).some((l) => l.jobId === last)).toBe(false);
    const asked = workers.flatMap((w) => w.logs('cancel request received'));
    expect(asked.some((l) => l.jobId === runningId)).toBe(true);
  }, 120_000);

  it('a front-end restarted mid-run still delivers every result', async () => {
    const user = new PlaygroundUser(base);
    const ids = await submitJobs(user, 6, 'a star', 900, 20);
    await frontend.stop();
    frontend = startEntryProc('main', feEnv(), fe.cwd, 'front-end (restarted)');
    base = await playgroundUrl(frontend);
    const again = new PlaygroundUser(base);
    for (const jobId of ids)
      expect((await again.waitStatus(jobId, ['done', 'failed', 'cancelled'])).status).toBe('done');
    for (const jobId of ids) expect((await fetch(`${base}/api/jobs/${jobId}/image.png`)).status).toBe(200);
    const counts = doneCounts(workers);
    for (const jobId of ids) expect(counts.get(jobId), jobId).toBe(1);
  }, 120_000);

  it('a job whose worker is killed twice fails with a clear message instead of running a third time', async () => {
    const d = workDir('worker4');
    workerDirs.push(d);
    const fresh = startEntryProc('worker', clusterEnv(redis.url, d.dataDir), d.cwd, 'worker4');
    workers.push(fresh);
    await fresh.waitForLine(/worker serving model/);
    const user = new PlaygroundUser(base);
    const r = await user.submit('/imagine a comet --seed 4 --steps 100');
    expect(r.status).toBe(202);
    const jobId = String(r.json.jobId);
    for (let kill = 0; kill < 2; kill++) {
      const until = Date.now() + 30_000;
      const taker = () =>
        workers.find((w) => w.alive() && w.logs('job started').some((l) => l.jobId === jobId));
      while (!taker() && Date.now() < until) await sleep(20);
      const victim = taker()!;
      expect(victim).toBeDefined();
      victim.child.kill('SIGKILL');
      await victim.exited;
      workers.splice(workers.indexOf(victim), 1);
    }
    const end = await user.waitStatus(jobId, ['done', 'failed', 'cancelled']);
    expect(end.status).toBe('failed');
    expect(String(end.error)).toMatch(/stopped twice in the middle of it/);
    expect(doneCounts(workers).get(jobId)).toBeUndefined();
    expect(workers.length).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('Redis stopped for a few seconds: jobs are refused with a clear message, nothing crashes, then it recovers', async () => {
    const user = new PlaygroundUser(base);
    await redis.stop();
    const refused = await user.submit('/imagine a cloud --seed 1 --steps 3');
    expect(refused.status, JSON.stringify(refused.json)).toBe(503);
    expect(JSON.stringify(refused.json)).toMatch(/Redis server is down/);
    await frontend.waitForLine(/Redis is unreachable/, 10_000);
    await sleep(2000);
    expect(frontend.alive() && workers.every((w) => w.alive())).toBe(true);
    await redis.start();
    let jobId = '';
    const until = Date.now() + 30_000;
    while (!jobId && Date.now() < until) {
      const r = await user.submit('/imagine a cloud --seed 2 --steps 3');
      if (r.status === 202) jobId = String(r.json.jobId);
      else await sleep(250);
    }
    expect(jobId).not.toBe('');
    expect((await user.waitStatus(jobId, ['done', 'failed', 'cancelled'])).status).toBe('done');
    await frontend.waitForLine(/Redis connection is back/, 10_000);
  }, 120_000);

  it('Redis stopped for a few seconds while jobs run: the jobs are interrupted, queued again and each ends done once', async () => {
    const user = new PlaygroundUser(base);
    const ids = await submitJobs(user, 3, 'a kite', 1100, 100);
    const startedIds = () =>
      workers
        .flatMap((w) => w.logs('job started'))
        .map((l) => String(l.jobId))
        .filter((id) => ids.includes(id));
    const until = Date.now() + 30_000;
    while (startedIds().length === 0 && Date.now() < until) await sleep(20);
    const runningAtStop = startedIds();
    expect(runningAtStop.length).toBeGreaterThan(0);
    await redis.stop();
    await sleep(3000);
    expect(frontend.alive() && workers.every((w) => w.alive())).toBe(true);
    await redis.start();
    for (const jobId of ids)
      expect((await user.waitStatus(jobId, ['done', 'failed', 'cancelled'], 90_000)).status).toBe('done');
    const counts = doneCounts(workers);
    for (const jobId of ids) expect(counts.get(jobId), jobId).toBe(1);
    // A job that was running when Redis went away was interrupted (not failed) and ran again.
    const interrupted = workers.flatMap((w) =>
      w.logs('job interrupted: Redis is unreachable; it is queued again once Redis is back'),
    );
    for (const jobId of runningAtStop) {
      expect(
        interrupted.some((l) => l.jobId === jobId),
        jobId,
      ).toBe(true);
      expect(
        workers.flatMap((w) => w.logs('job failed')).some((l) => l.jobId === jobId),
        jobId,
      ).toBe(false);
    }
  }, 150_000);
});
