// A small in-memory Engine for command tests: submit validates with the real parseJobSpec and
// records what it got; the rest answers from a few fields the test sets.
import type { Actor, Engine, JobOwner, JobRecord, JobStatus, QueueEntry, SubmitResult } from '../../src/jobs/api.ts';
import { refusal } from '../../src/jobs/api.ts';
import { parseJobSpec } from '../../src/jobs/spec.ts';
import { modelInfoFrom } from '../../src/pipeline/model-info.ts';
import { readManifest } from '../../src/runtime/manifest.ts';
import { defaultModelsDir, resolveModelDir } from '../../src/runtime/models-dir.ts';
import { understandingOf } from '../../src/inference/understand-answers.ts';

export interface FakeEngine extends Engine {
  submitted: { input: unknown; owner: JobOwner }[];
  cancelled: { jobId: string; by: Actor }[];
  queue: QueueEntry[];
}

/** A fake Engine whose submit runs the real spec validation. */
export function fakeEngine(model = 'test-tiny'): FakeEngine {
  let n = 0;
  const e: FakeEngine = {
    submitted: [],
    cancelled: [],
    queue: [],
    async submit(input, owner): Promise<SubmitResult> {
      e.submitted.push({ input, owner });
      const parsed = parseJobSpec(input);
      if (!parsed.ok) return refusal('invalid_spec', parsed.message);
      n++;
      return { ok: true, jobId: `job${n}`, position: n - 1, estimatedWaitMs: (n - 1) * 20_000, spec: parsed.spec };
    },
    async regenerate() {
      return refusal('not_found', 'no');
    },
    checkAdmission() {
      return null;
    },
    async cancel(jobId, by) {
      e.cancelled.push({ jobId, by });
      const entry = e.queue.find((q) => q.jobId === jobId);
      if (!entry) return refusal('not_found', `I can't find job ${jobId}.`);
      if (entry.owner.userId !== by.userId && !by.isAdmin) return refusal('forbidden', 'Only the person who asked for that job (or an admin) can cancel it.');
      return { ok: true as const, status: 'cancelled' as JobStatus };
    },
    async get(): Promise<JobRecord | null> {
      return null;
    },
    async resultFiles() {
      return refusal('not_found', 'no');
    },
    async setMessageRef() {},
    subscribe() {
      return () => {};
    },
    subscribeAll() {
      return () => {};
    },
    snapshot() {
      return [];
    },
    async listQueue() {
      return e.queue;
    },
    async storeUpload() {
      return refusal('bad_image', 'no');
    },
    health() {
      return { ok: true, workerAlive: true, queued: 0, running: 0, model, device: 'cpu' };
    },
    async modelInfo() {
      // As the worker does, from the model folder (the repository's models/); an unknown name is refused.
      try {
        const dir = resolveModelDir(model);
        const manifest = readManifest(dir);
        return { ok: true as const, info: modelInfoFrom({ name: model, dir, manifest, imageShape: manifest.sample, device: 'cpu' }) };
      } catch (err) {
        return refusal('not_found', (err as Error).message);
      }
    },
    async understand(text, name) {
      // As the inference process does, from the model folder's text files.
      try {
        return { ok: true as const, understanding: understandingOf(name ?? model, defaultModelsDir(), text) };
      } catch (err) {
        return refusal('not_found', (err as Error).message);
      }
    },
    async close() {},
  };
  return e;
}

/** Owner and actor of a test user. */
export function who(userId = 'u1', platform = 'test') {
  return { owner: { platform, userId, channelRef: 'c1' }, actor: { userId, isAdmin: false, platform } };
}
