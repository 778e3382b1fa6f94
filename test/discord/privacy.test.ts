// Private jobs on Discord (real discord.js against the local fake, real engine on the tiny model):
// a /imagine with private:true is stored as private; /info of it answers "not found" to another
// user (its owner and an admin see it); a forged follow-up, new-seed or cancel button (act:<id>:u:1,
// diffuse:regen:<id>, ...) on it starts nothing and answers "not found"; its prompt reaches no one else.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordAdapter } from '../../src/adapters/discord/index.ts';
import { waitForJob } from '../../src/jobs/api.ts';
import type { RecordedRequest } from './fake-discord.ts';
import { startDiscordHarness, type DiscordHarness } from './harness.ts';

const OWNER = '200000000000000071';
const OTHER = '200000000000000072';
const ADMIN = '200000000000000073';
const PROMPT = 'a secret rocket';

let h: DiscordHarness;
let jobId = '';
let messageId = '';

const content = (r: RecordedRequest) => String(r.json?.content ?? '');
const edit = (token: string) => (r: RecordedRequest) =>
  r.method === 'PATCH' && r.path.endsWith(`/${token}/messages/@original`);

beforeAll(async () => {
  h = await startDiscordHarness({ ADMIN_USER_IDS: ADMIN });
  const cmd = h.fake.sendCommand({
    name: 'imagine',
    options: { prompt: PROMPT, steps: 3, seed: 5, private: true },
    userId: OWNER,
  });
  const final = await h.fake.waitForRequest(
    (r) => edit(cmd.token)(r) && r.files.some((f) => f.filename.endsWith('.png') && f.filename !== 'preview.png'),
    60_000,
    'the private result',
  );
  jobId = /job `([a-z0-9]+)`/.exec(content(final))![1];
  messageId = cmd.originalId!;
}, 90_000);
afterAll(async () => {
  await h?.close();
});

/** /info <jobId> as `userId`: the text of its reply. */
async function info(userId: string): Promise<string> {
  const cmd = h.fake.sendCommand({ name: 'info', options: { job: jobId }, userId });
  return content(await h.fake.waitForRequest(edit(cmd.token), 30_000, `/info as ${userId}`));
}

describe('private jobs on Discord', () => {
  it('stores the job as private', async () => {
    expect((await h.engine.get(jobId))?.owner).toMatchObject({ platform: 'discord', userId: OWNER, private: true });
  });

  it('/info answers "not found" to another user, and shows the job to its owner and to an admin', async () => {
    const other = await info(OTHER);
    expect(other).toContain(`I can't find job ${jobId}.`);
    expect(other).not.toContain('rocket');
    expect(await info(OWNER)).toContain(`prompt "${PROMPT}"`);
    expect(await info(ADMIN)).toContain(`prompt "${PROMPT}"`);
  });

  it('a forged follow-up, new-seed or cancel button on it starts no job and answers "not found"', async () => {
    const before = h.engine.store.children(jobId).length;
    const forged = [`act:${jobId}:u:1`, `act:${jobId}:re:1`, `act:${jobId}:zo2:1`, `diffuse:regen:${jobId}`, `diffuse:cancel:${jobId}`];
    for (const customId of forged) {
      const click = h.fake.sendButton({ customId, messageId, userId: OTHER });
      const reply = await h.fake.waitForRequest(
        (r) => r.method === 'PATCH' && r.path.endsWith(`/${click.token}/messages/@original`),
        30_000,
        `the answer to ${customId}`,
      );
      expect(content(reply)).toContain(`I can't find job ${jobId}.`);
      expect(content(reply)).not.toContain('rocket');
    }
    expect(h.engine.store.children(jobId).length).toBe(before);
    expect(await h.engine.listQueue()).toEqual([]);
  });

  it('a private job finished after a restart of the adapter is not posted in its channel', async () => {
    await h.adapter.stop();
    const channel = h.fake.channelIds[1];
    // Submitted while no adapter ran (as a job requeued after a restart); long enough to end after the new one started.
    const res = await h.engine.submit(
      { technique: 'imagine', prompt: 'a hidden moon', steps: 60 },
      { platform: 'discord', userId: OWNER, channelRef: channel, private: true },
    );
    if (!res.ok) throw new Error(res.message);
    h.adapter = new DiscordAdapter(h.engine, h.engine.config, { minEditIntervalMs: 50 });
    await h.adapter.start();
    await h.adapter.ready();
    expect((await h.engine.get(res.jobId))?.status).not.toBe('done');
    expect((await waitForJob(h.engine, res.jobId)).type).toBe('done');
    // The adapter reports the result: to the owner's direct messages (opening one), not to the channel.
    const report = await h.fake.waitForRequest(
      (r) => r.path === '/users/@me/channels' || (r.method === 'POST' && r.path === `/channels/${channel}/messages`),
      30_000,
      'the report of the recovered job',
    );
    expect(report.path).toBe('/users/@me/channels');
    expect(report.json).toMatchObject({ recipient_id: OWNER });
    await h.adapter.idle();
    const leaked = h.fake.requests.filter(
      (r) => r.path.startsWith(`/channels/${channel}/`) && JSON.stringify(r.json ?? {}).includes('hidden moon'),
    );
    expect(leaked).toEqual([]);
  });

  it('the owner can still follow it up, and the follow-up is private too', async () => {
    const click = h.fake.sendButton({ customId: `act:${jobId}:vs:1`, messageId, userId: OWNER });
    await h.fake.waitForRequest(
      (r) => edit(click.token)(r) && r.files.some((f) => f.filename.endsWith('.png') && f.filename !== 'preview.png'),
      60_000,
      'the V1 result',
    );
    const [child] = h.engine.store.children(jobId);
    expect(child?.owner).toMatchObject({ userId: OWNER, private: true });
  });
});
