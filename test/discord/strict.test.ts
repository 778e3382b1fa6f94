// The strict fake Discord: it refuses what Discord refuses (message, component, custom_id and file
// limits, with Discord's error shapes), answers 429 on demand, and the adapter gets through both:
// discord.js waits out a 429 and the job's result still arrives; a result over the upload limit is
// sent without its animation, or replaced by a one-line notice.
import { REST, Routes, DiscordAPIError } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from './fake-discord.ts';
import { startDiscordHarness, type DiscordHarness } from './harness.ts';

let h: DiscordHarness;
let rest: REST;

beforeAll(async () => {
  h = await startDiscordHarness({ QUEUE_MAX: '10' });
  rest = new REST({ api: h.fake.apiBase, retries: 0 }).setToken(h.fake.token);
});
afterAll(async () => {
  await h?.close();
});

const original = (token: string) => (r: RecordedRequest) => r.method === 'PATCH' && r.path.endsWith(`/${token}/messages/@original`);
const hasFile = (r: RecordedRequest, ext: string) => r.files.some((f) => f.filename.endsWith(ext) && f.filename !== 'preview.png');
const content = (r: RecordedRequest) => String(r.json?.content ?? '');

/** The error discord.js raises for a request the fake refuses. */
async function refusal(body: Record<string, unknown>): Promise<DiscordAPIError> {
  const err = await rest.post(Routes.channelMessages(h.fake.channelIds[0]), { body }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DiscordAPIError);
  return err as DiscordAPIError;
}

const button = (customId: string, label = 'x') => ({ type: 2, style: 2, custom_id: customId, label });

describe('strict fake Discord', () => {
  it('refuses over-long content, too many rows or buttons, long custom ids and labels with 50035 Invalid Form Body', async () => {
    const ok = (await rest.post(Routes.channelMessages(h.fake.channelIds[0]), { body: { content: 'x'.repeat(2000) } })) as { id: string };
    expect(ok.id).toMatch(/^\d+$/);

    const long = await refusal({ content: 'x'.repeat(2001) });
    expect(long.status).toBe(400);
    expect(long.code).toBe(50035);
    expect(long.rawError).toMatchObject({ message: 'Invalid Form Body', errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] } } });

    const row = { type: 1, components: [button('a')] };
    const rows = await refusal({ content: 'rows', components: Array.from({ length: 6 }, () => row) });
    expect(rows.rawError).toMatchObject({ code: 50035, errors: { components: { _errors: [{ message: 'Must be 5 or fewer in length.' }] } } });

    const wide = await refusal({ content: 'wide', components: [{ type: 1, components: Array.from({ length: 6 }, (_, i) => button(`b${i}`)) }] });
    expect(wide.rawError).toMatchObject({ errors: { components: { 0: { components: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } } } } });

    const id = await refusal({ content: 'id', components: [{ type: 1, components: [button('c'.repeat(101))] }] });
    expect(id.rawError).toMatchObject({ errors: { components: { 0: { components: { 0: { custom_id: { _errors: [{ message: 'Must be 100 or fewer in length.' }] } } } } } } });

    const label = await refusal({ content: 'label', components: [{ type: 1, components: [button('d', 'l'.repeat(81))] }] });
    expect(label.rawError).toMatchObject({ errors: { components: { 0: { components: { 0: { label: { _errors: [{ message: 'Must be 80 or fewer in length.' }] } } } } } } });
  });

  it('answers 413 (code 40005) for a file over the upload limit', async () => {
    h.fake.maxFileBytes = 100;
    try {
      const files = [{ name: 'big.bin', data: Buffer.alloc(101) }];
      const err = (await rest.post(Routes.channelMessages(h.fake.channelIds[0]), { body: { content: 'file' }, files }).catch((e: unknown) => e)) as DiscordAPIError;
      expect(err).toBeInstanceOf(DiscordAPIError);
      expect(err.status).toBe(413);
      expect(err.code).toBe(40005);
    } finally {
      h.fake.maxFileBytes = 10 * 1024 * 1024;
    }
  });

  it("answers 429 with retry_after and Discord's headers; discord.js waits it out and the result still arrives", async () => {
    const it1 = h.fake.sendCommand({ name: 'imagine', options: { prompt: 'a red kite', seed: 3, steps: 8 }, userId: '300000000000000001' });
    // The first three edits of this reply are rate limited (the queue status, then progress edits).
    h.fake.rateLimit(original(it1.token), 3, 0.4);
    const final = await h.fake.waitForRequest((r) => original(it1.token)(r) && r.status === 200 && hasFile(r, '.png'), 60_000, 'the result');
    const edits = h.fake.requests.filter(original(it1.token));
    const limited = edits.filter((r) => r.status === 429);
    expect(limited).toHaveLength(3);
    // Each 429 is followed by a retry no sooner than retry_after.
    for (const r of limited) {
      const next = edits.find((e) => e.at > r.at && e !== r);
      expect(next).toBeDefined();
      expect(next!.at - r.at).toBeGreaterThanOrEqual(350);
    }
    expect(hasFile(final, '.gif')).toBe(true);
    expect(content(final)).toContain('seed 3');
  });

  it('a rate-limited deferral is retried within the 3 s deadline and the job runs', async () => {
    const it0 = h.fake.sendCommand({ name: 'imagine', options: { prompt: 'a quick fox', seed: 4, steps: 2 }, userId: '300000000000000004' });
    h.fake.rateLimit((r) => r.path.startsWith(`/interactions/${it0.id}/`), 1, 0.2);
    const defer = await h.fake.waitForRequest((r) => r.path.startsWith(`/interactions/${it0.id}/`) && r.status === 204, 10_000, 'the deferral');
    expect(h.fake.requests.some((r) => r.path.startsWith(`/interactions/${it0.id}/`) && r.status === 429)).toBe(true);
    expect(defer.at - it0.createdAt).toBeLessThan(3000);
    await h.fake.waitForRequest((r) => original(it0.token)(r) && r.status === 200 && hasFile(r, '.png'), 60_000, 'the result');
  });

  it('a deferral held back past the 3 s deadline by a rate limit fails as Discord answers it, and starts no job', async () => {
    const before = h.engine.store.db.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number };
    const late = h.fake.sendCommand({ name: 'imagine', options: { prompt: 'a slow snail', steps: 2 }, userId: '300000000000000005' });
    h.fake.rateLimit((r) => r.path.startsWith(`/interactions/${late.id}/`), 1, 3.5);
    const unknown = await h.fake.waitForRequest((r) => r.path.startsWith(`/interactions/${late.id}/`) && r.status === 404, 10_000, 'the late deferral');
    expect(unknown.at - late.createdAt).toBeGreaterThan(3000);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.requests.some((r) => r.path.startsWith(`/webhooks/`) && r.path.includes(late.token) && r.status === 200)).toBe(false);
    expect(h.engine.store.db.prepare('SELECT COUNT(*) AS n FROM jobs').get()).toEqual(before);
  });

  it('sends a result over the upload limit without its animation, saying so', async () => {
    const first = h.fake.sendCommand({ name: 'imagine', options: { prompt: 'a green frog', seed: 5, steps: 6 }, userId: '300000000000000002' });
    const done = await h.fake.waitForRequest((r) => original(first.token)(r) && r.status === 200 && hasFile(r, '.gif'), 60_000, 'the first result');
    const png = done.files.find((f) => f.filename.endsWith('.png'))!.data.length;
    const gif = done.files.find((f) => f.filename.endsWith('.gif'))!.data.length;
    expect(gif).toBeGreaterThan(png);
    h.fake.maxFileBytes = png;
    try {
      const again = h.fake.sendCommand({ name: 'imagine', options: { prompt: 'a green frog', seed: 5, steps: 6 }, userId: '300000000000000002' });
      const final = await h.fake.waitForRequest((r) => original(again.token)(r) && r.status === 200 && hasFile(r, '.png'), 60_000, 'the result without GIF');
      expect(hasFile(final, '.gif')).toBe(false);
      expect(content(final)).toContain('The animation was too large to upload.');
      expect(h.fake.requests.some((r) => original(again.token)(r) && r.status === 413 && hasFile(r, '.gif'))).toBe(true);
    } finally {
      h.fake.maxFileBytes = 10 * 1024 * 1024;
    }
  });

  it('replaces a result no upload can carry by a one-line notice', async () => {
    h.fake.maxFileBytes = 10;
    try {
      const it1 = h.fake.sendCommand({ name: 'imagine', options: { prompt: 'a blue whale', seed: 9, steps: 4 }, userId: '300000000000000003' });
      const notice = await h.fake.waitForRequest((r) => original(it1.token)(r) && r.status === 200 && /could not upload the result/.test(content(r)), 60_000, 'the notice');
      expect(notice.files).toHaveLength(0);
      expect(h.fake.requests.filter((r) => original(it1.token)(r) && r.status === 413).length).toBeGreaterThanOrEqual(2);
    } finally {
      h.fake.maxFileBytes = 10 * 1024 * 1024;
    }
  });
});
