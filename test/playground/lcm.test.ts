// An LCM model with a guidance-embedding UNet (models/tiny-lcm) through the playground's JSON API:
// /imagine runs lcm at the model's 4 steps, the caption says so, and a request the model cannot
// run (LCM above its original_inference_steps) is refused at submit with the reason.
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, readEvents, usePlayground } from './helpers.ts';

const env = usePlayground({ MODEL: 'tiny-lcm' });
let alice: Client;

beforeAll(async () => {
  alice = new Client(env.pg.url);
});

describe('tiny-lcm in the playground', () => {
  it('imagine runs lcm at 4 steps, one progress event per step, shown in the caption', async () => {
    const res = await alice.postJson('/api/jobs', { command: 'imagine', options: { prompt: 'a red apple', seed: 3 } });
    const job = (await res.json()) as { jobId: string; error?: string };
    expect(res.status, job.error).toBe(202);
    const events = await readEvents(await alice.fetch(`/api/jobs/${job.jobId}/events`));
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    const caption = (done.data.job as { caption: string }).caption;
    expect(caption).toContain('4 steps');
    expect(caption).toContain('guidance 8.5');
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.every((e) => e.data.total === 4)).toBe(true);
  });

  it('refuses 60 lcm steps at submit (422) with the counts that run', async () => {
    const info = await env.engine.modelInfo();
    expect(info.ok).toBe(true);
    const res = await alice.postJson('/api/jobs', { command: 'imagine', options: { prompt: 'a dog', steps: 60 } });
    const body = (await res.json()) as { error: string; code: string };
    expect(res.status).toBe(422);
    expect(body.error).toBe(
      'Sampler lcm cannot run 60 steps on tiny-lcm: LCM takes 1..50 steps (original_inference_steps). It runs 1-50 steps there.',
    );
  });
});
