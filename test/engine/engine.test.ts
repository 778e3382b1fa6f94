// The engine end to end on the real tiny model: worker thread, queue, store, files, limits.
import { existsSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  waitForJob,
  type JobEvent,
  type JobOwner,
  type SubmitAccepted,
  type SubmitResult,
} from '../../src/jobs/api.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { startHealthServer } from '../../src/engine/http-health.ts';
import { faultyWorker } from './fixtures/faulty-worker.ts';
import { testConfig, testPng } from './helpers.ts';

const alice: JobOwner = { platform: 'discord', userId: 'alice', channelRef: 'c1' };
const bob: JobOwner = { platform: 'discord', userId: 'bob', channelRef: 'c1' };
const carol: JobOwner = { platform: 'slack', userId: 'carol' };
const dave: JobOwner = { platform: 'playground', userId: 'dave' };

/** A worker whose thread fails on prompt words: "crash" exits it at step 3, "stall" blocks it at step 2. */
const faulty = faultyWorker({ crash: { word: 'crash', atStep: 3 }, stall: { word: 'stall', atStep: 2 } });

function accepted(r: SubmitResult): SubmitAccepted {
  if (!r.ok) throw new Error(`refused: ${r.message}`);
  return r;
}

function nextEvent(engine: LocalEngine, jobId: string, pred: (e: JobEvent) => boolean): Promise<JobEvent> {
  return new Promise((resolve) => {
    let done = false;
    const off: () => void = engine.subscribe(jobId, (e) => {
      if (!done && pred(e)) {
        done = true;
        queueMicrotask(() => off());
        resolve(e);
      }
    });
  });
}

describe('engine on the tiny model', () => {
  let engine: LocalEngine;
  const events: JobEvent[] = [];

  beforeAll(async () => {
    engine = createEngine(testConfig({ QUEUE_MAX: '5', USER_MAX_PENDING: '2', ADMIN_USER_IDS: 'root' }), {
      worker: faulty,
      abortGraceMs: 300,
      defaultMetrics: false,
    });
    engine.subscribeAll((e) => events.push(e));
    await engine.start();
  });
  afterAll(async () => {
    await engine.close();
  });

  it('runs a job to done: caption data, files, and a GIF with one frame per step within the byte limit', async () => {
    const r = accepted(
      await engine.submit({ technique: 'imagine', prompt: 'a rocket zorb', seed: 7, steps: 12 }, alice),
    );
    // The stored spec is what was asked; guidance (left out) is the model's, resolved when the job runs.
    expect(r.spec).toEqual({
      technique: 'imagine',
      prompt: 'a rocket zorb',
      seed: 7,
      steps: 12,
    });
    const seen: string[] = [];
    const end = await waitForJob(engine, r.jobId, (e) => seen.push(e.type));
    expect(end.type).toBe('done');
    if (end.type !== 'done') return;
    expect(seen[0]).toBe('queued');
    expect(seen).toContain('started');
    expect(seen.filter((t) => t === 'progress').length).toBeGreaterThanOrEqual(12);
    const res = end.result;
    expect(res).toMatchObject({
      model: 'test-tiny',
      spec: { technique: 'imagine', prompt: 'a rocket zorb', seed: 7, steps: 12, guidance: 7 },
    });
    expect(res.unknown).toEqual(['zorb']);
    expect(res.understood.map((u) => u.label).join(' ')).toContain('rocket');
    expect(res.timings.totalMs).toBeGreaterThan(0);
    expect(res.timings.modelMs).toBeGreaterThan(0);
    expect(res.timings.modelMs).toBeLessThanOrEqual(res.timings.totalMs);
    const raw = await sharp(res.files.rawPng).metadata();
    expect([raw.width, raw.height]).toEqual([64, 64]);
    const shown = await sharp(res.files.png).metadata();
    expect([shown.width, shown.height, res.files.width]).toEqual([128, 128, 128]);
    expect(res.files.gif).not.toBeNull();
    const gif = readFileSync(res.files.gif!);
    const meta = await sharp(gif, { animated: true }).metadata();
    expect(meta.format).toBe('gif');
    expect(meta.pages).toBe(12);
    expect(res.files.gifFrames).toBe(12);
    expect(gif.length).toBe(res.files.gifBytes);
    expect(gif.length).toBeLessThanOrEqual(engine.config.gifMaxBytes);
    const rec = await engine.get(r.jobId);
    expect(rec).toMatchObject({ status: 'done', owner: alice, parentId: null, position: null, error: null });
    expect(await engine.resultFiles(r.jobId)).toEqual({ ok: true, files: res.files });
  });

  it('runs jobs in FIFO order under concurrent submissions', async () => {
    const owners = [alice, bob, carol, dave];
    const results = await Promise.all(
      owners.map((o, i) =>
        engine.submit({ technique: 'imagine', prompt: `rocket ${i}`, seed: i, steps: 3 }, o),
      ),
    );
    const ids = results.map((r) => accepted(r).jobId);
    expect(results.map((r) => accepted(r).position)).toEqual([0, 1, 2, 3]);
    const starts: string[] = [];
    const off = engine.subscribeAll((e) => {
      if (e.type === 'started' && ids.includes(e.jobId)) starts.push(e.jobId);
    });
    const ends = await Promise.all(ids.map((id) => waitForJob(engine, id)));
    off();
    expect(ends.map((e) => e.type)).toEqual(['done', 'done', 'done', 'done']);
    // The first one may have started before this test subscribed; replayed 'started' events are in history.
    const allStarts = events.filter((e) => e.type === 'started' && ids.includes(e.jobId)).map((e) => e.jobId);
    expect(allStarts).toEqual(ids);
    expect(ids.slice(4 - starts.length)).toEqual(starts);
    const finishes = ends.map((e) => (e.type === 'done' ? e.result.timings.queuedMs : -1));
    expect(finishes[3]).toBeGreaterThanOrEqual(finishes[0]);
  });

  it('refuses each limit with its message, and updates positions as the queue moves', async () => {
    const stall = accepted(
      await engine.submit({ technique: 'imagine', prompt: 'stall', seed: 1, steps: 10 }, alice),
    );
    await nextEvent(engine, stall.jobId, (e) => e.type === 'progress');
    const a2 = accepted(
      await engine.submit({ technique: 'imagine', prompt: 'cat', seed: 2, steps: 3 }, alice),
    );
    expect(a2.position).toBe(1);
    const a3 = await engine.submit({ technique: 'imagine', prompt: 'cat', steps: 3 }, alice);
    expect(a3).toEqual({
      ok: false,
      code: 'user_limit',
      message: 'You already have 2 jobs waiting or running; wait for one to finish or cancel one.',
    });
    // The same user id on another platform is another user.
    const b1 = accepted(
      await engine.submit({ technique: 'imagine', prompt: 'cat', seed: 3, steps: 3 }, { ...bob }),
    );
    const c1 = accepted(
      await engine.submit(
        { technique: 'imagine', prompt: 'cat', seed: 4, steps: 3 },
        { platform: 'slack', userId: 'alice' },
      ),
    );
    expect([b1.position, c1.position]).toEqual([2, 3]);
    expect(b1.estimatedWaitMs).toBeGreaterThan(0);
    expect(c1.estimatedWaitMs).toBeGreaterThan(b1.estimatedWaitMs);
    const d1 = accepted(
      await engine.submit({ technique: 'imagine', prompt: 'cat', seed: 5, steps: 3 }, dave),
    );
    expect(d1.position).toBe(4);
    const full = await engine.submit({ technique: 'imagine', prompt: 'cat', steps: 3 }, carol);
    expect(full).toEqual({
      ok: false,
      code: 'queue_full',
      message: 'The queue is full (5 jobs); try again in a few minutes.',
    });

    expect(await engine.submit({ technique: 'imagine', prompt: 'cat', steps: 1000 }, carol)).toEqual({
      ok: false,
      code: 'invalid_spec',
      message: 'Steps must be at most 100.',
    });
    const badModel = await engine.submit({ technique: 'imagine', prompt: 'cat', model: 'nope' }, carol);
    expect(badModel.ok).toBe(false);
    if (!badModel.ok)
      expect(badModel.message).toMatch(/^I don't have a model called "nope"\. Installed: .*test-tiny/);
    expect(await engine.submit({ technique: 'sketch', image: 'b'.repeat(64) }, carol)).toEqual({
      ok: false,
      code: 'bad_image',
      message: 'I no longer have the image of that request; attach it again.',
    });

    const q = await engine.listQueue();
    expect(q.map((e) => [e.jobId, e.status, e.position])).toEqual([
      [stall.jobId, 'running', 0],
      [a2.jobId, 'queued', 1],
      [b1.jobId, 'queued', 2],
      [c1.jobId, 'queued', 3],
      [d1.jobId, 'queued', 4],
    ]);
    expect((await engine.get(c1.jobId))?.position).toBe(3);

    // Removing a queued job moves the ones behind it up, and tells them.
    const moved = nextEvent(engine, d1.jobId, (e) => e.type === 'queued' && e.position === 3);
    expect(await engine.cancel(b1.jobId, { userId: 'bob', isAdmin: false })).toEqual({
      ok: true,
      status: 'cancelled',
    });
    const m = await moved;
    expect(m.type === 'queued' && m.position).toBe(3);
    expect((await engine.get(b1.jobId))?.status).toBe('cancelled');
    // Cancelling the stuck running job ends it (the worker is replaced after the grace time); the queue moves on.
    expect(await engine.cancel(stall.jobId, { userId: 'root', isAdmin: false })).toEqual({
      ok: true,
      status: 'cancelled',
    });
    const ends = await Promise.all([a2, c1, d1].map((r) => waitForJob(engine, r.jobId)));
    expect(ends.map((e) => e.type)).toEqual(['done', 'done', 'done']);
    expect(events.filter((e) => e.jobId === b1.jobId && e.type === 'started')).toEqual([]);
  });

  it('cancels a running job within a step; only its owner or an admin may', async () => {
    const r = accepted(
      await engine.submit({ technique: 'imagine', prompt: 'rocket', seed: 9, steps: 100 }, bob),
    );
    const steps: number[] = [];
    const end = waitForJob(engine, r.jobId, (e) => {
      if (e.type === 'progress' && !e.preview) steps.push(e.step);
    });
    await nextEvent(engine, r.jobId, (e) => e.type === 'progress' && e.step >= 2);
    expect(await engine.cancel(r.jobId, { userId: 'carol', isAdmin: false })).toEqual({
      ok: false,
      code: 'forbidden',
      message: 'Only the person who asked for that job (or an admin) can cancel it.',
    });
    expect(await engine.cancel(r.jobId, { userId: 'bob', isAdmin: false, platform: 'slack' })).toMatchObject({
      code: 'forbidden',
    });
    expect(await engine.cancel(r.jobId, { userId: 'bob', isAdmin: false })).toEqual({
      ok: true,
      status: 'cancelled',
    });
    const e = await end;
    expect(e).toMatchObject({ type: 'cancelled', by: 'bob' });
    expect(Math.max(...steps)).toBeLessThan(100);
    const rec = await engine.get(r.jobId);
    expect(rec?.status).toBe('cancelled');
    expect(rec?.result).toBeNull();
    expect(await engine.cancel(r.jobId, { userId: 'bob', isAdmin: false })).toEqual({
      ok: false,
      code: 'not_cancellable',
      message: `Job ${r.jobId} already cancelled.`,
    });
    expect(await engine.cancel('zzzzzzzzzz', { userId: 'bob', isAdmin: true })).toMatchObject({
      code: 'not_found',
    });
    // The worker is still the same healthy thread and runs the next job.
    const next = accepted(
      await engine.submit({ technique: 'imagine', prompt: 'cat', seed: 1, steps: 3 }, bob),
    );
    expect((await waitForJob(engine, next.jobId)).type).toBe('done');
  });

  it('a worker crash in the middle of a job fails only that job; the next one succeeds', async () => {
    const restarts = () => engine.metrics.workerRestarts.get().then((m) => m.values[0]?.value ?? 0);
    const before = await restarts();
    const crash = accepted(
      await engine.submit({ technique: 'imagine', prompt: 'crash', seed: 1, steps: 10 }, carol),
    );
    const next = accepted(
      await engine.submit({ technique: 'imagine', prompt: 'cat', seed: 1, steps: 4 }, dave),
    );
    const [e1, e2] = await Promise.all([waitForJob(engine, crash.jobId), waitForJob(engine, next.jobId)]);
    expect(e1).toMatchObject({
      type: 'failed',
      message: expect.stringMatching(/^The inference worker crashed while running this job \(exit code 70\)/),
    });
    expect(e2.type).toBe('done');
    expect((await engine.get(crash.jobId))?.error).toMatch(/crashed/);
    expect(await restarts()).toBe(before + 1);
    expect(engine.health()).toMatchObject({
      ok: true,
      workerAlive: true,
      queued: 0,
      running: 0,
      model: 'test-tiny',
    });
  });

  it('stores uploads by sha256 and runs the image techniques on them', async () => {
    expect(await engine.storeUpload(Buffer.from('hello, not an image'))).toMatchObject({
      ok: false,
      code: 'bad_image',
    });
    const png = await testPng(48, 40);
    const up = await engine.storeUpload(png, alice);
    expect(up).toMatchObject({ ok: true, width: 48, height: 40, hasAlpha: false });
    // Bob uploads the same bytes: the reference is his too.
    expect(await engine.storeUpload(png, bob)).toMatchObject({ ok: true });
    if (!up.ok) return;
    expect(up.ref).toMatch(/^[0-9a-f]{64}$/);
    const holed = await engine.storeUpload(await testPng(48, 40, true), alice);
    expect(holed).toMatchObject({ ok: true, hasAlpha: true });
    if (!holed.ok) return;

    const run = async (spec: unknown, owner: JobOwner) =>
      waitForJob(engine, accepted(await engine.submit(spec, owner)).jobId);
    const sketch = await run(
      { technique: 'sketch', image: up.ref, prompt: 'rocket', noiseLevel: 5, steps: 12, seed: 3 },
      alice,
    );
    expect(sketch.type).toBe('done');
    if (sketch.type === 'done') expect(sketch.result.files.gifFrames).toBe(7);

    const inpaint = await run(
      { technique: 'inpaint', image: holed.ref, prompt: 'cat', steps: 6, seed: 3 },
      alice,
    );
    expect(inpaint.type).toBe('done');
    // Neither a mask nor transparent pixels: refused at submit, before a job exists.
    const noMask = await engine.submit({ technique: 'inpaint', image: up.ref, prompt: 'cat', steps: 6, seed: 3 }, alice);
    expect(noMask).toMatchObject({
      ok: false,
      code: 'invalid_spec',
      message:
        'Inpainting needs a mask: attach a mask image (white = repaint) or an image with transparent areas to repaint.',
    });

    const noise = await run({ technique: 'noise', image: up.ref, t: [250, 500, 750], seed: 3 }, bob);
    expect(noise.type).toBe('done');
    if (noise.type === 'done') {
      const raw = await sharp(noise.result.files.rawPng).metadata();
      expect([raw.width, raw.height]).toEqual([4 * 64 + 3 * 4, 64]);
      expect(noise.result.files.gifFrames).toBe(4);
    }
    const denoise = await run({ technique: 'denoise', image: up.ref, t: [500], method: 'all', seed: 3 }, bob);
    expect(denoise.type).toBe('done');
    if (denoise.type === 'done') {
      const raw = await sharp(denoise.result.files.rawPng).metadata();
      expect([raw.width, raw.height]).toEqual([5 * 64 + 4 * 4, 64]);
      // The iterative trajectory from t = 500: the strided steps below 500 (480, 450, ..., 0 plus the first).
      expect(denoise.result.files.gifFrames).toBe(17);
    }
  });

  it('regenerates as a child with a new seed; the same seed gives the same bytes', async () => {
    const first = accepted(
      await engine.submit(
        { technique: 'anagram', prompt: 'cat', prompt2: 'rocket', seed: 11, steps: 5 },
        carol,
      ),
    );
    const e1 = await waitForJob(engine, first.jobId);
    const same = accepted(await engine.regenerate(first.jobId, dave, 11));
    const other = accepted(await engine.regenerate(first.jobId, dave));
    const [e2, e3] = await Promise.all([waitForJob(engine, same.jobId), waitForJob(engine, other.jobId)]);
    if (e1.type !== 'done' || e2.type !== 'done' || e3.type !== 'done') throw new Error('a job failed');
    // The new spec names its parent (shown in the caption): the same job otherwise.
    const from = { jobId: first.jobId, action: 'reroll' };
    expect(same.spec).toEqual({ ...first.spec, from });
    expect(other.spec).toEqual({ ...first.spec, seed: other.spec.seed, from });
    expect((await engine.get(same.jobId))?.parentId).toBe(first.jobId);
    expect((await engine.get(other.jobId))?.owner).toEqual(dave);
    expect(engine.store.children(first.jobId).map((j) => j.jobId)).toEqual([same.jobId, other.jobId]);
    const bytes = (p: string) => readFileSync(p);
    expect(bytes(e2.result.files.rawPng).equals(bytes(e1.result.files.rawPng))).toBe(true);
    if (other.spec.seed !== 11)
      expect(bytes(e3.result.files.rawPng).equals(bytes(e1.result.files.rawPng))).toBe(false);
    expect(await engine.regenerate('zzzzzzzzzz', dave)).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('prunes old results but keeps the job, so regenerate still works', async () => {
    const r = accepted(
      await engine.submit({ technique: 'imagine', prompt: 'cat', seed: 1, steps: 2 }, alice),
    );
    const e = await waitForJob(engine, r.jobId);
    if (e.type !== 'done') throw new Error('failed');
    expect(existsSync(e.result.files.png)).toBe(true);
    const pruned = await engine.prune(Date.now() + 31 * 86_400_000);
    expect(pruned.results).toBeGreaterThanOrEqual(1);
    expect(existsSync(e.result.files.png)).toBe(false);
    expect(await engine.resultFiles(r.jobId)).toEqual({
      ok: false,
      code: 'no_result',
      message: `The images of job ${r.jobId} were deleted after 30 days; regenerate it to get a new one.`,
    });
    const again = accepted(await engine.regenerate(r.jobId, alice));
    expect((await waitForJob(engine, again.jobId)).type).toBe('done');
  });

  it('serves /healthz and /metrics on 127.0.0.1', async () => {
    const hs = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      health: () => engine.health(),
      registry: engine.metrics.registry,
    });
    try {
      expect(hs.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const h = await fetch(`${hs.url}/healthz`);
      expect(h.status).toBe(200);
      expect(await h.json()).toMatchObject({ ok: true, workerAlive: true, model: 'test-tiny' });
      const m = await (await fetch(`${hs.url}/metrics`)).text();
      expect(m).toContain('diffuse_queue_length 0');
      expect(m).toMatch(/diffuse_jobs_total\{technique="imagine",status="done"\} \d+/);
      expect(m).toMatch(/diffuse_job_failures_total\{reason="crash"\} 1/);
      expect(m).toContain('diffuse_step_latency_seconds_bucket');
      expect((await fetch(`${hs.url}/nope`)).status).toBe(404);
    } finally {
      await hs.close();
    }
  });
});

describe('engine limits that need their own config', () => {
  it('refuses uploads over the pixel limit; stops a job that hangs past the time limit, replaces the worker, and runs the next job', async () => {
    const engine = createEngine(testConfig({ JOB_TIMEOUT_MS: '3000', UPLOAD_MAX_PIXELS: '1000' }), {
      worker: faulty,
      abortGraceMs: 200,
      defaultMetrics: false,
    });
    await engine.start();
    try {
      expect(await engine.storeUpload(await testPng(48, 40))).toEqual({
        ok: false,
        code: 'bad_image',
        message: expect.stringMatching(/pixels/),
      });
      expect(await engine.storeUpload(await testPng(30, 30))).toMatchObject({
        ok: true,
        width: 30,
        height: 30,
      });
      const r = accepted(
        await engine.submit({ technique: 'imagine', prompt: 'stall', seed: 1, steps: 10 }, alice),
      );
      const next = accepted(
        await engine.submit({ technique: 'imagine', prompt: 'cat', seed: 1, steps: 3 }, bob),
      );
      const e = await waitForJob(engine, r.jobId);
      expect(e).toEqual({
        type: 'failed',
        jobId: r.jobId,
        owner: alice,
        message: 'This job took longer than the limit of 3 seconds and was stopped.',
      });
      // The limit holds for this job too: 3 s leave room for it on a busy machine, where the inference
      // process, at nice 10, gets a small share of the cores.
      const n = await waitForJob(engine, next.jobId);
      expect(n.type, JSON.stringify(n)).toBe('done');
    } finally {
      await engine.close();
    }
  });

  it('runs jobs on uploads accepted over the imaging defaults (10 MiB, 25 MP) under larger UPLOAD_MAX_BYTES / UPLOAD_MAX_PIXELS', async () => {
    const engine = createEngine(
      testConfig({ UPLOAD_MAX_BYTES: String(32 * 1024 * 1024), UPLOAD_MAX_PIXELS: '30000000' }),
      { defaultMetrics: false },
    );
    await engine.start();
    try {
      const solid = (width: number, height: number) =>
        sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } });
      // 10.8 MB (uncompressed PNG), and 26 MP.
      const heavy = await solid(1900, 1900).png({ compressionLevel: 0 }).toBuffer();
      const large = await solid(5200, 5000).png().toBuffer();
      expect(heavy.length).toBeGreaterThan(10 * 1024 * 1024);
      for (const png of [heavy, large]) {
        const up = await engine.storeUpload(png, alice);
        if (!up.ok) throw new Error(`refused: ${up.message}`);
        const spec = { technique: 'sketch', image: up.ref, prompt: 'rocket', noiseLevel: 1, steps: 3, seed: 1 };
        const end = await waitForJob(engine, accepted(await engine.submit(spec, alice)).jobId);
        expect(end.type === 'failed' ? end.message : end.type).toBe('done');
      }
    } finally {
      await engine.close();
    }
  });

  it('shrinks the GIF to the byte limit; FRAME_EVERY keeps every k-th step', async () => {
    const engine = createEngine(
      testConfig({ GIF_MAX_BYTES: '40000', GIF_SIZE: '128', FRAME_EVERY: '1', USER_MAX_PENDING: '5' }),
      { defaultMetrics: false },
    );
    const sparse = createEngine(testConfig({ FRAME_EVERY: '4' }), { defaultMetrics: false });
    await Promise.all([engine.start(), sparse.start()]);
    try {
      const big = accepted(
        await engine.submit({ technique: 'imagine', prompt: 'rocket', seed: 2, steps: 33 }, alice),
      );
      const e = await waitForJob(engine, big.jobId);
      if (e.type !== 'done') throw new Error('failed');
      const gif = readFileSync(e.result.files.gif!);
      expect(gif.length).toBeLessThanOrEqual(40000);
      expect(e.result.files.gifFrames).toBeLessThan(33);
      expect((await sharp(gif, { animated: true }).metadata()).pages).toBe(e.result.files.gifFrames);

      const s = accepted(
        await sparse.submit({ technique: 'imagine', prompt: 'rocket', seed: 2, steps: 10 }, alice),
      );
      const e2 = await waitForJob(sparse, s.jobId);
      if (e2.type !== 'done') throw new Error('failed');
      // Steps 4, 8 and the last one (10).
      expect((await sharp(e2.result.files.gif!, { animated: true }).metadata()).pages).toBe(3);
    } finally {
      await Promise.all([engine.close(), sparse.close()]);
    }
  });
});
