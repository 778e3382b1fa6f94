import { describe, expect, it } from 'vitest';
import type { LiveJob } from '../../src/engine/live-jobs.ts';
import { queueEntries } from '../../src/cluster/queue-view.ts';

function job(jobId: string, createdAt: number, startedAt: number | null, steps: number): LiveJob {
  return {
    jobId,
    createdAt,
    startedAt,
    owner: { platform: 'discord', userId: 'u' },
    spec: { technique: 'imagine', prompt: 'a cat', seed: 1, steps },
  } as LiveJob;
}

describe("the scale-out front-end's queue view", () => {
  it('lists running jobs first, then waiting ones oldest first, each waiting for the estimates ahead of it', () => {
    const held = [job('c', 3, null, 30), job('a', 1, null, 10), job('r', 2, 5, 99), job('b', 4, null, 20)];
    const entries = queueEntries(held, (j) => (j.spec.steps ?? 0) * 100);
    expect(entries.map((e) => [e.jobId, e.status, e.position, e.estimatedWaitMs])).toEqual([
      ['r', 'running', 0, 0],
      ['a', 'queued', 1, 0],
      ['c', 'queued', 2, 1000],
      ['b', 'queued', 3, 4000],
    ]);
  });
});
