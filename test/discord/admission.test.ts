// The queue and per-user limits come before any attachment download: a user who already has
// USER_MAX_PENDING jobs gets the refusal, and the fake Discord sees no download of the image.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalEngine } from '../../src/engine/index.ts';
import { testPng } from '../engine/helpers.ts';
import type { FakeDiscord, RecordedRequest } from './fake-discord.ts';
import { startDiscordHarness, type DiscordHarness } from './harness.ts';

let h: DiscordHarness;
let fake: FakeDiscord;
let engine: LocalEngine;

beforeAll(async () => {
  h = await startDiscordHarness({ USER_MAX_PENDING: '2', QUEUE_MAX: '10' }, (f) => ({ attachments: { extraHosts: [f.host] } }));
  ({ fake, engine } = h);
});

afterAll(async () => {
  await h?.close();
});

const answerOf = (token: string) => (r: RecordedRequest) =>
  r.method === 'PATCH' && r.path.endsWith(`/${token}/messages/@original`) && String(r.json?.content ?? '').startsWith('⚠️');

describe('Discord admission before downloads', () => {
  it('refuses a user at the per-user limit without fetching the attachment; downloads once a slot is free', async () => {
    const user = '400000000000000001';
    const owner = { platform: 'discord' as const, userId: user };
    // A long job of someone else holds the device, so the user's two jobs stay pending.
    const other = await engine.submit({ technique: 'imagine', prompt: 'a long wait', steps: 100 }, { platform: 'discord', userId: '400000000000000009' });
    const mine = [
      await engine.submit({ technique: 'imagine', prompt: 'a cat', steps: 100 }, owner),
      await engine.submit({ technique: 'imagine', prompt: 'a dog', steps: 100 }, owner),
    ];
    expect([other.ok, ...mine.map((m) => m.ok)]).toEqual([true, true, true]);
    expect(engine.checkAdmission(owner)).toMatchObject({ ok: false, code: 'user_limit' });

    const png = fake.addAttachment('sketch.png', await testPng(48, 40), 'image/png');
    const refused = fake.sendCommand({ name: 'sketch', options: { prompt: 'a red car' }, attachments: { image: png }, userId: user });
    const reply = await fake.waitForRequest(answerOf(refused.token), 20_000, 'refusal');
    expect(String(reply.json?.content)).toBe('⚠️ You already have 2 jobs waiting or running; wait for one to finish or cancel one.');
    expect(fake.attachmentFetches).toEqual([]);

    // Control: with the slots free again the same request downloads the image.
    for (const j of [other, ...mine]) if (j.ok) await engine.cancel(j.jobId, { userId: 'admin', isAdmin: true, platform: 'discord' });
    expect(engine.checkAdmission(owner)).toBeNull();
    const again = fake.sendCommand({ name: 'sketch', options: { prompt: 'a red car', noise_level: 3 }, attachments: { image: png }, userId: user });
    await fake.waitForRequest(
      (r) => r.method === 'PATCH' && r.path.endsWith(`/${again.token}/messages/@original`) && r.files.some((f) => f.filename.endsWith('.png')),
      60_000,
      'sketch result',
    );
    expect(fake.attachmentFetches).toHaveLength(1);
    await h.adapter.idle();
  });
});
