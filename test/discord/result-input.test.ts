// A result as an input on Discord (real discord.js against the local fake, real engine on the tiny
// model): the "Use as input" message action answers the caller alone with the exact /sketch and
// /inpaint commands; /inpaint job:<id> candidate:2 with a mask attached runs on that candidate,
// names its parent, and stores only the mask (no re-upload of the picture); an image and a job
// together, and a job another user keeps private, get a clear message.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from './fake-discord.ts';
import { startDiscordHarness, type DiscordHarness } from './harness.ts';

let h: DiscordHarness;
const USER = '200000000000000041';
const OTHER = '200000000000000042';

beforeAll(async () => {
  h = await startDiscordHarness({ USER_MAX_PENDING: '3' }, (fake) => ({ attachments: { extraHosts: [fake.host] } }));
});
afterAll(async () => h?.close());

const edit = (token: string) => (r: RecordedRequest) => r.method === 'PATCH' && r.path.endsWith(`/${token}/messages/@original`);
const finalEdit = (token: string) => (r: RecordedRequest) =>
  edit(token)(r) && r.files.some((f) => f.filename.endsWith('.png') && f.filename !== 'preview.png');
const deferOf = (id: string) => (r: RecordedRequest) => r.method === 'POST' && r.path.startsWith(`/interactions/${id}/`);
const content = (r: RecordedRequest) => String(r.json?.content ?? '');
const EPHEMERAL = 64;
const flagsOf = (r: RecordedRequest) => Number((r.json?.data as { flags?: number } | undefined)?.flags ?? 0);
const uploadCount = () => (h.engine.store.db.prepare('SELECT COUNT(*) AS n FROM uploads').get() as { n: number }).n;

/** A 64x64 mask PNG: the left half white (repaint). */
async function maskPng(): Promise<Buffer> {
  const px = Buffer.alloc(64 * 64);
  for (let y = 0; y < 64; y++) px.fill(255, y * 64, y * 64 + 32);
  return sharp(px, { raw: { width: 64, height: 64, channels: 1 } }).png().toBuffer();
}

describe('a result as an input on Discord', () => {
  it('Use as input tells the caller the exact commands; /inpaint job: candidate: runs on that picture with a new mask only', async () => {
    const cmd = h.fake.sendCommand({ name: 'imagine', options: { prompt: 'a rocket', steps: 2, seed: 3, count: 2 }, userId: USER });
    const final = await h.fake.waitForRequest(finalEdit(cmd.token), 60_000, 'grid result');
    const parent = /job `([a-z0-9]+)`/.exec(content(final))![1];

    const action = h.fake.sendMessageAction({ name: 'Use as input', messageId: cmd.originalId!, userId: USER });
    const deferred = await h.fake.waitForRequest(deferOf(action.id), 10_000, 'Use as input defer');
    expect(flagsOf(deferred) & EPHEMERAL).toBe(EPHEMERAL);
    const how = content(await h.fake.waitForRequest(edit(action.token), 30_000, 'Use as input reply'));
    expect(how).toContain(`\`/sketch job:${parent} candidate:1 prompt:`);
    expect(how).toContain(`\`/inpaint job:${parent} candidate:1 prompt:`);
    expect(how).toContain('candidate:2');

    const before = uploadCount();
    const fetchesBefore = h.fake.attachmentFetches.length;
    const mask = h.fake.addAttachment('mask.png', await maskPng(), 'image/png');
    const inpaint = h.fake.sendCommand({
      name: 'inpaint',
      options: { prompt: 'a cat', job: parent, candidate: 2, steps: 2 },
      attachments: { mask },
      userId: USER,
    });
    const done = await h.fake.waitForRequest(finalEdit(inpaint.token), 60_000, 'inpaint result');
    const child = /job `([a-z0-9]+)`/.exec(content(done))![1];
    const rec = await h.engine.get(child);
    expect(rec).toMatchObject({ parentId: parent, status: 'done', spec: { technique: 'inpaint', source: { parent, candidate: 2, count: 2, action: 'input' }, from: { jobId: parent } } });
    expect(rec!.spec.image).toBeUndefined();
    // Only the mask came in: one download, one new upload.
    expect(h.fake.attachmentFetches.length - fetchesBefore).toBe(1);
    expect(uploadCount() - before).toBe(1);
    expect(rec!.spec.mask).toBeDefined();
  }, 120_000);

  it('an image and a job together, and a private job of another user, get a clear message', async () => {
    const priv = h.fake.sendCommand({ name: 'imagine', options: { prompt: 'a secret', steps: 1, private: true }, userId: OTHER });
    const privFinal = await h.fake.waitForRequest(finalEdit(priv.token), 60_000, 'private result');
    const secret = /job `([a-z0-9]+)`/.exec(content(privFinal))![1];
    const tried = h.fake.sendCommand({ name: 'sketch', options: { job: secret }, userId: USER });
    expect(content(await h.fake.waitForRequest(edit(tried.token), 30_000, 'refusal'))).toBe(`⚠️ I can't find job ${secret}.`);

    const img = h.fake.addAttachment('a.png', await maskPng(), 'image/png');
    const both = h.fake.sendCommand({ name: 'sketch', options: { job: secret }, attachments: { image: img }, userId: OTHER });
    expect(content(await h.fake.waitForRequest(edit(both.token), 30_000, 'refusal'))).toBe(
      '⚠️ Give either an image or a job to start from, not both.',
    );
    await h.adapter.idle();
  });
});
