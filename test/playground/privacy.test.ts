// Private jobs and upload references through the playground's JSON API with two sessions on a real
// engine (models/test-tiny): another session gets 404 for a private job's JSON, PNGs, GIF and
// events, and for its follow-ups and new seed; /queue and /info show it without its id or
// prompt; an upload reference works only for the session that uploaded it (or owns a job using it).
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, dataUrl, readEvents, samplePng, usePlayground } from './helpers.ts';

const env = usePlayground({ USER_MAX_PENDING: '4' });
let alice: Client;
let bob: Client;

beforeAll(async () => {
  alice = new Client(env.pg.url);
  bob = new Client(env.pg.url);
  // Each client gets its own session cookie.
  await alice.fetch('/api/health');
  await bob.fetch('/api/health');
});

interface Done {
  jobId: string;
  spec: { image?: string; prompt?: string };
  actions: { id: string; label: string; url: string }[][];
}

/** Submits as `who` and waits for the finished view. */
async function finished(who: Client, body: unknown): Promise<Done> {
  const res = await who.postJson('/api/jobs', body);
  const job = (await res.json()) as { jobId: string; error?: string };
  expect(res.status, job.error).toBe(202);
  const events = await readEvents(await who.fetch(`/api/jobs/${job.jobId}/events`));
  expect(events.at(-1)!.event).toBe('done');
  return events.at(-1)!.data.job as Done;
}

describe('private jobs in the playground', () => {
  let secret: Done;
  let open: Done;

  beforeAll(async () => {
    secret = await finished(alice, { text: '/imagine a secret rocket --steps 3 --seed 7 --private true' });
    open = await finished(alice, { text: '/imagine a public rocket --steps 3 --seed 8' });
  });

  it('the owner reads a private job: JSON, files, events', async () => {
    expect(alice.cookies.get('diffuse_session')).not.toBe(bob.cookies.get('diffuse_session'));
    const own = await alice.json<Done>(`/api/jobs/${secret.jobId}`);
    expect(own.status).toBe(200);
    expect(own.body.spec.prompt).toBe('a secret rocket');
    for (const f of ['image.png', 'raw.png', 'trajectory.gif'])
      expect((await alice.fetch(`/api/jobs/${secret.jobId}/${f}`)).status, f).toBe(200);
    const events = await readEvents(await alice.fetch(`/api/jobs/${secret.jobId}/events`));
    expect(events.at(-1)!.event).toBe('done');
  });

  it("another session gets 404 not_found for the job's JSON, files and events", async () => {
    const json = await bob.json<{ code: string; error: string }>(`/api/jobs/${secret.jobId}`);
    expect(json).toEqual({
      status: 404,
      body: { code: 'not_found', error: `I can't find job ${secret.jobId}.` },
    });
    for (const f of ['image.png', 'raw.png', 'trajectory.gif', 'events']) {
      const res = await bob.fetch(`/api/jobs/${secret.jobId}/${f}`);
      expect(res.status, f).toBe(404);
      expect(((await res.json()) as { code: string }).code, f).toBe('not_found');
    }
    // Cancel (DELETE) answers the same, not "forbidden" (which would say the job exists).
    const del = await bob.fetch(`/api/jobs/${secret.jobId}`, { method: 'DELETE' });
    expect(del.status).toBe(404);
    expect(((await del.json()) as { code: string }).code).toBe('not_found');
    // A public job of the same session stays readable by others.
    expect((await bob.json(`/api/jobs/${open.jobId}`)).status).toBe(200);
    expect((await bob.fetch(`/api/jobs/${open.jobId}/image.png`)).status).toBe(200);
  });

  it('another session cannot run follow-ups or a new seed of it (404); the owner can, and they stay private', async () => {
    for (const a of ['u/1', 'vs/1', 'vt/1', 'zo2/1', 'pl/1']) {
      const res = await bob.fetch(`/api/jobs/${secret.jobId}/actions/${a}`, { method: 'POST' });
      expect(res.status, a).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe('not_found');
    }
    const regen = await bob.postJson(`/api/jobs/${secret.jobId}/regenerate`, {});
    expect(regen.status).toBe(404);
    const press = await alice.fetch(`/api/jobs/${secret.jobId}/actions/vs/1`, { method: 'POST' });
    const child = (await press.json()) as { jobId: string };
    expect(press.status).toBe(202);
    // The follow-up of a private job is private too.
    expect((await bob.json(`/api/jobs/${child.jobId}`)).status).toBe(404);
    expect((await alice.json(`/api/jobs/${child.jobId}`)).status).toBe(200);
    await readEvents(await alice.fetch(`/api/jobs/${child.jobId}/events`));
  });

  it('/info answers not found to another session; /queue lists it without its id or prompt', async () => {
    const info = await bob.postJson('/api/jobs', { text: `/info ${secret.jobId}` });
    expect(info.status).toBe(404);
    expect(((await info.json()) as { error: string }).error).toBe(`I can't find job ${secret.jobId}.`);
    const mine = await alice.postJson('/api/jobs', { text: `/info ${secret.jobId}` });
    expect(mine.status).toBe(200);
    expect(JSON.stringify(await mine.json())).toContain('a secret rocket');

    // A queued private job (behind a longer one of bob's): bob's /queue shows its place, not its id.
    const long = await bob.postJson('/api/jobs', { text: '/imagine a dog --steps 20' });
    const first = (await long.json()) as { jobId: string };
    expect(long.status).toBe(202);
    const queued = await alice.postJson('/api/jobs', { text: '/imagine a hidden boat --steps 3 --private true' });
    const q = (await queued.json()) as { jobId: string };
    expect(queued.status).toBe(202);
    const seen = await bob.postJson('/api/jobs', { text: '/queue' });
    const body = (await seen.json()) as {
      reply: { text: string; entries: { jobId: string | null; private: boolean; mine: boolean }[] };
    };
    expect(JSON.stringify(body)).not.toContain(q.jobId);
    expect(body.reply.text).toContain('a private job');
    expect(body.reply.entries.some((e) => e.jobId === null && e.private && !e.mine)).toBe(true);
    const own = (await (await alice.postJson('/api/jobs', { text: '/queue' })).json()) as { reply: { text: string } };
    expect(own.reply.text).toContain(`\`${q.jobId}\` (yours)`);
    for (const [who, id] of [[bob, first.jobId], [alice, q.jobId]] as const)
      expect((await readEvents(await who.fetch(`/api/jobs/${id}/events`))).at(-1)!.event).toBe('done');
  });
});

describe('upload references in the playground', () => {
  it('only the session that uploaded an image can use its reference', async () => {
    const job = await finished(alice, {
      command: 'noise',
      options: { image: dataUrl(await samplePng()), t: '250', seed: 1 },
    });
    const ref = job.spec.image!;
    expect(ref).toMatch(/^[0-9a-f]{64}$/);
    // Bob names alice's reference: refused as if it did not exist.
    const stolen = await bob.postJson('/api/jobs', { command: 'noise', options: { image: ref, t: '1', seed: 1 } });
    expect(stolen.status).toBe(422);
    expect(await stolen.json()).toEqual({
      code: 'bad_image',
      error: 'I no longer have the image of that request; attach it again.',
    });
    // Alice can use it again.
    const again = await alice.postJson('/api/jobs', { command: 'noise', options: { image: ref, t: '1', seed: 1 } });
    expect(again.status).toBe(202);
    await readEvents(await alice.fetch(`/api/jobs/${((await again.json()) as { jobId: string }).jobId}/events`));
    // Bob uploads the same bytes himself: now the reference is his too.
    const own = await bob.postJson('/api/jobs', {
      command: 'noise',
      options: { image: dataUrl(await samplePng()), t: '1', seed: 1 },
    });
    expect(own.status).toBe(202);
    await readEvents(await bob.fetch(`/api/jobs/${((await own.json()) as { jobId: string }).jobId}/events`));
  });
});

describe('a public job whose parent is a private job', () => {
  it("names the parent to its owner only: another session's JSON and /info hide the private parent's id", async () => {
    const secret = await finished(alice, { text: '/imagine a hidden rocket --steps 3 --seed 11 --private true' });
    const aliceOwner = { platform: 'playground', userId: alice.cookies.get('diffuse_session')!.split('.')[0], serverId: 'playground' };
    // The owner's own public jobs made from it (straight through the engine: the API makes them private).
    const reroll = await env.engine.submit(
      { technique: 'imagine', prompt: 'a hidden rocket', seed: 12, steps: 3, from: { jobId: secret.jobId, action: 'new seed' } },
      aliceOwner,
      { parentId: secret.jobId },
    );
    const upscale = await env.engine.submit(
      { technique: 'sketch', steps: 3, seed: 13, source: { parent: secret.jobId, candidate: 1, count: 1, action: 'u' }, from: { jobId: secret.jobId, action: 'U1' } },
      aliceOwner,
      { parentId: secret.jobId },
    );
    expect(reroll.ok && upscale.ok).toBe(true);
    for (const child of [reroll, upscale]) {
      if (!child.ok) continue;
      await readEvents(await alice.fetch(`/api/jobs/${child.jobId}/events`));
      const theirs = await bob.fetch(`/api/jobs/${child.jobId}`);
      expect(theirs.status).toBe(200);
      const text = await theirs.text();
      expect(text).not.toContain(secret.jobId);
      expect(JSON.parse(text)).toMatchObject({ parentId: 'private' });
      // Its owner sees the parent.
      expect(await (await alice.fetch(`/api/jobs/${child.jobId}`)).text()).toContain(secret.jobId);
      // /info for another session: the lineage says "a private job", and no id of it anywhere.
      const info = await bob.postJson('/api/jobs', { text: `/info ${child.jobId}` });
      const body = JSON.stringify(await info.json());
      expect(info.status).toBe(200);
      expect(body).not.toContain(secret.jobId);
      expect(body).toContain('of a private job');
      const mine = JSON.stringify(await (await alice.postJson('/api/jobs', { text: `/info ${child.jobId}` })).json());
      expect(mine).toContain(secret.jobId);
    }
  });
});
