// The sampler through the playground's JSON API on a real engine (models/test-tiny): as a command
// option and in a text command line, recorded in the job and its caption, deterministic per seed;
// an unknown sampler is refused with the list; a sampler that cannot run the model is refused at
// submit (422) from the model's facts, not failed after queueing.
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, readEvents, usePlayground } from './helpers.ts';

const env = usePlayground({ USER_MAX_PENDING: '4' });
let alice: Client;

beforeAll(async () => {
  alice = new Client(env.pg.url);
});

async function run(body: unknown) {
  const res = await alice.postJson('/api/jobs', body);
  const job = (await res.json()) as { jobId: string; spec: Record<string, unknown>; error?: string };
  expect(res.status, job.error).toBe(202);
  const events = await readEvents(await alice.fetch(`/api/jobs/${job.jobId}/events`));
  const done = events.at(-1)!;
  expect(done.event).toBe('done');
  const png = Buffer.from(await (await alice.fetch(`/api/jobs/${job.jobId}/image.png`)).arrayBuffer());
  return { job, done: done.data.job as { caption: string }, events, png };
}

describe('sampler in the playground', () => {
  it('runs imagine with sampler dpmpp-2m from the options, shown in the caption, the same per seed', async () => {
    const body = {
      command: 'imagine',
      options: { prompt: 'a rocket ship', seed: 3, steps: 4, sampler: 'dpmpp-2m' },
    };
    const a = await run(body);
    expect(a.job.spec).toMatchObject({ technique: 'imagine', sampler: 'dpmpp-2m', steps: 4 });
    expect(a.done.caption).toContain('4 steps');
    expect(a.done.caption).toContain('sampler dpmpp-2m');
    const progress = a.events.filter((e) => e.event === 'progress');
    expect(progress.every((e) => e.data.total === 4)).toBe(true);
    const b = await run(body);
    expect(Buffer.compare(a.png, b.png)).toBe(0);
    const ddpm = await run({ command: 'imagine', options: { prompt: 'a rocket ship', seed: 3, steps: 4 } });
    expect(Buffer.compare(a.png, ddpm.png)).not.toBe(0);
    expect(ddpm.done.caption).not.toContain('sampler');
  });

  it('takes --sampler in a text command line', async () => {
    const r = await run({ text: '/anagram a rocket | a dog --sampler euler-a --steps 3 --seed 2' });
    expect(r.job.spec).toMatchObject({ technique: 'anagram', sampler: 'euler-a', steps: 3 });
    expect(r.done.caption).toContain('sampler euler-a');
  });

  it('refuses an unknown sampler, naming the known ones', async () => {
    const res = await alice.postJson('/api/jobs', {
      command: 'imagine',
      options: { prompt: 'a dog', sampler: 'plms' },
    });
    const body = (await res.json()) as { error: string };
    expect(res.status).toBe(400);
    expect(body.error).toContain('dpmpp-2m');
  });

  it('refuses at submit a sampler the model cannot run, saying why (422, nothing queued)', async () => {
    const info = await env.engine.modelInfo(); // the model's facts, as the inference process reported them
    expect(info.ok).toBe(true);
    const res = await alice.postJson('/api/jobs', {
      command: 'imagine',
      options: { prompt: 'a dog', steps: 4, sampler: 'flow-euler' },
    });
    const body = (await res.json()) as { error: string; code: string };
    expect(res.status).toBe(422);
    expect(body.code).toBe('invalid_spec');
    expect(body.error).toBe('Sampler flow-euler cannot run test-tiny: flow-euler runs flow-matching models only.');
    expect(await env.engine.listQueue()).toEqual([]);
  });
});
