// The event hub's replays: subscribe's (recent events at once) and snapshot's (in the order a new
// viewer needs them: queued, started, progress by step; only the end once the job ended).
import { describe, expect, it } from 'vitest';
import type { JobEvent } from '../../src/jobs/api.ts';
import { EventHub } from '../../src/engine/events.ts';
import { createLogger } from '../../src/jobs/logger.ts';

const owner = { platform: 'test', userId: 'u1' };
const jobId = 'job1';
const queued: JobEvent = { type: 'queued', jobId, owner, position: 1, estimatedWaitMs: 500 };
const started: JobEvent = { type: 'started', jobId, owner, startedAt: 1 };
const preview: JobEvent = { type: 'progress', jobId, owner, step: 2, total: 4, preview: Buffer.from('png') };
const progress: JobEvent = { type: 'progress', jobId, owner, step: 3, total: 4 };

describe('EventHub', () => {
  it('snapshots a running job in step order, a stale preview before the latest count', () => {
    const hub = new EventHub(createLogger('silent'));
    for (const e of [queued, started, progress, preview]) hub.emit(e);
    expect(hub.snapshot(jobId)).toEqual([queued, started, preview, progress]);
    // subscribe's own replay keeps its order: latest queued, started, progress, preview.
    const seen: JobEvent[] = [];
    hub.subscribe(
      jobId,
      (e) => seen.push(e),
      true,
      () => null,
    );
    expect(seen).toEqual([queued, started, progress, preview]);
  });

  it('snapshots only the end of an ended job, and nothing of an unknown one', () => {
    const hub = new EventHub(createLogger('silent'));
    const end: JobEvent = { type: 'cancelled', jobId, owner, by: 'u1' };
    for (const e of [queued, started, progress, end]) hub.emit(e);
    expect(hub.ended(jobId)).toBe(true);
    expect(hub.snapshot(jobId)).toEqual([end]);
    expect(hub.snapshot('other')).toEqual([]);
  });

  it('a subscriber without replay gets only later events; one with replay of an unknown job gets the fallback', () => {
    const hub = new EventHub(createLogger('silent'));
    hub.emit(queued);
    const live: JobEvent[] = [];
    hub.subscribe(
      jobId,
      (e) => live.push(e),
      false,
      () => null,
    );
    hub.emit(started);
    expect(live).toEqual([started]);
    const end: JobEvent = { type: 'failed', jobId: 'old', owner, message: 'failed' };
    const replayed: JobEvent[] = [];
    hub.subscribe(
      'old',
      (e) => replayed.push(e),
      true,
      () => end,
    );
    expect(replayed).toEqual([end]);
  });
});
