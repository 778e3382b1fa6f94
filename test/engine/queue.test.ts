// The device queue keeps going when an item's run throws, and hands the error to onError.
import { describe, expect, it } from 'vitest';
import { DeviceQueue } from '../../src/engine/queue.ts';

describe('device queue', () => {
  it('reports a run that throws and runs the next item', async () => {
    const ran: string[] = [];
    const errors: [string, string][] = [];
    const q = new DeviceQueue<{ jobId: string }>(
      async (item) => {
        ran.push(item.jobId);
        if (item.jobId === 'bad') throw new Error('database or disk is full');
      },
      undefined,
      (item, err) => errors.push([item.jobId, (err as Error).message]),
    );
    q.add({ jobId: 'bad' });
    q.add({ jobId: 'good' });
    await q.onIdle();
    expect(ran).toEqual(['bad', 'good']);
    expect(errors).toEqual([['bad', 'database or disk is full']]);
    expect(q.running).toBeNull();
  });

  it('an onError that throws does not stop the queue', async () => {
    const ran: string[] = [];
    const q = new DeviceQueue<{ jobId: string }>(
      async (item) => {
        ran.push(item.jobId);
        throw new Error('boom');
      },
      undefined,
      () => {
        throw new Error('handler failed too');
      },
    );
    q.add({ jobId: 'a' });
    q.add({ jobId: 'b' });
    await q.onIdle();
    expect(ran).toEqual(['a', 'b']);
  });
});
