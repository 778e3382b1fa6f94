// End to end: the Discord adapter (real discord.js) against a local fake Discord on 127.0.0.1
// and a real engine on the tiny test model.
import net from 'node:net';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DiscordAdapter } from '../../src/adapters/discord/index.ts';
import type { Config } from '../../src/config.ts';
import { createEngine, type LocalEngine } from '../../src/engine/index.ts';
import { createLogger } from '../../src/jobs/logger.ts';
import { testConfig, testPng } from '../engine/helpers.ts';
import { FakeDiscord, type RecordedRequest } from './fake-discord.ts';

// Every TCP connection this process makes is recorded by its remote address: only 127.0.0.1 may be contacted.
const hosts: string[] = [];
const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  this.once('connect', () => hosts.push(this.remoteAddress ?? '?'));
  return (realConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

let fake: FakeDiscord;
let engine: LocalEngine;
let config: Config;
let adapter: DiscordAdapter;

function newAdapter(): DiscordAdapter {
  return new DiscordAdapter(engine, config, { attachments: { extraHosts: [fake.host] }, minEditIntervalMs: 50 });
}

/** Replaces the running adapter by one on `cfg`; its log lines (debug and up) collect in the returned array. */
async function swapAdapter(cfg: Config): Promise<string[]> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  await adapter.stop();
  adapter = new DiscordAdapter(engine, cfg, { attachments: { extraHosts: [fake.host] }, minEditIntervalMs: 50, logger: createLogger('debug', sink) });
  await adapter.start();
  await adapter.ready();
  return lines;
}

async function restoreAdapter(): Promise<void> {
  await adapter.stop();
  adapter = newAdapter();
  await adapter.start();
  await adapter.ready();
}

beforeAll(async () => {
  fake = new FakeDiscord({ heartbeatIntervalMs: 400 });
  await fake.start();
  config = testConfig({
    DISCORD_TOKEN: fake.token,
    DISCORD_APP_ID: fake.appId,
    DISCORD_API_BASE: fake.apiBase,
    USER_MAX_PENDING: '2',
    QUEUE_MAX: '15',
  });
  engine = createEngine(config, { defaultMetrics: false });
  await engine.start();
  adapter = newAdapter();
  await adapter.start();
  await adapter.ready();
});

afterAll(async () => {
  await adapter?.stop();
  await engine?.close();
  await fake?.close();
  net.Socket.prototype.connect = realConnect;
});

const isCallback = (id: string) => (r: RecordedRequest) => r.method === 'POST' && r.path.startsWith(`/interactions/${id}/`);
const originalEdits = (token: string) => fake.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/${token}/messages/@original`));
const hasFile = (r: RecordedRequest, ext: string) => r.files.some((f) => f.filename.endsWith(ext));
const finalEdit = (token: string) => (r: RecordedRequest) =>
  r.method === 'PATCH' && r.path.endsWith(`/${token}/messages/@original`) && hasFile(r, '.png') && !hasFile(r, 'preview.png');
const seedOf = (content: string) => Number(/seed (\d+)/.exec(content)?.[1]);
const content = (r: RecordedRequest) => String(r.json?.content ?? '');

describe('Discord adapter against a fake Discord', () => {
  it('identifies on the gateway with the reaction intent and keeps heartbeats', async () => {
    const identify = fake.identifies[0] as { intents: number; token: string };
    expect(identify.intents & 1).toBe(1); // GUILDS
    expect(identify.intents & (1 << 10)).toBe(1 << 10); // GUILD_MESSAGE_REACTIONS
    const gateway = fake.requests.find((r) => r.path === '/gateway/bot')!;
    expect(gateway.authorization).toBe(`Bot ${fake.token}`);
    if (fake.heartbeats === 0) await new Promise((r) => fake.once('heartbeat', r));
    expect(fake.heartbeats).toBeGreaterThan(0);
  });

  let resultMessageId = '';
  let firstJobId = '';

  it('/imagine: deferral, queue status, progress edits with a preview, then PNG + GIF with a caption', async () => {
    const it1 = fake.sendCommand({ name: 'imagine', options: { prompt: 'a rocket ship @everyone', seed: 7, steps: 8 }, userId: '200000000000000001' });
    const callback = await fake.waitForRequest(isCallback(it1.id), 10_000, 'deferral');
    expect(callback.status).toBe(204);
    expect(callback.json).toMatchObject({ type: 5 });

    const final = await fake.waitForRequest(finalEdit(it1.token), 60_000, 'final upload');
    const edits = originalEdits(it1.token);
    const progress = edits.slice(0, edits.indexOf(final));
    expect(progress.length).toBeGreaterThan(0);
    expect(content(progress[0])).toMatch(/queued|next/);
    expect(progress.some((r) => /▰+▱* \d+\/8/.test(content(r)))).toBe(true);
    const withPreview = progress.find((r) => hasFile(r, 'preview.png'))!;
    expect(withPreview).toBeDefined();
    const preview = await sharp(withPreview.files[0].data).metadata();
    expect(preview.format).toBe('png');

    const png = final.files.find((f) => f.filename.endsWith('.png'))!;
    const gif = final.files.find((f) => f.filename.endsWith('.gif'))!;
    expect(png.contentType).toBe('image/png');
    const pngMeta = await sharp(png.data).metadata();
    expect([pngMeta.format, pngMeta.width, pngMeta.height]).toEqual(['png', 128, 128]);
    const gifMeta = await sharp(gif.data, { animated: true }).metadata();
    expect(gifMeta.format).toBe('gif');
    expect(gifMeta.pages).toBeGreaterThan(1);

    const text = content(final);
    expect(text).toContain('**imagine**');
    expect(text).toContain('seed 7 · 8 steps · guidance 7 · test-tiny');
    expect(text).toMatch(/understood: .*rocket/);
    expect(text).not.toMatch(/@everyone/);
    expect(final.json?.allowed_mentions).toEqual({ parse: [], replied_user: false });
    // Only the two result files remain on the message (the preview is dropped).
    expect(final.json?.attachments).toHaveLength(2);
    const ids = JSON.stringify(final.json?.components);
    firstJobId = /diffuse:regen:([a-z0-9]+)/.exec(ids)![1];
    expect(ids).toContain(`diffuse:delete:${firstJobId}`);
    resultMessageId = it1.originalId!;
    expect(fake.messages.get(resultMessageId)!.attachments.map((a) => a.filename)).toEqual([`imagine-${firstJobId}.png`, `imagine-${firstJobId}.gif`]);
    await adapter.idle();
    const job = await engine.get(firstJobId);
    expect(job?.owner.messageRef).toBe(`${fake.channelIds[0]}/${resultMessageId}`);
  });

  it('🔁 on a result message from before a restart regenerates it with another seed in the channel', async () => {
    // A new client: the result message is in no cache, so only partials + a fetch can see it.
    await adapter.stop();
    adapter = newAdapter();
    await adapter.start();
    await adapter.ready();
    const before = fake.requests.length;
    fake.sendReaction({ messageId: resultMessageId, emoji: '🔁', userId: '200000000000000002' });
    const fetched = await fake.waitForRequest((r) => r.method === 'GET' && r.path === `/channels/${fake.channelIds[0]}/messages/${resultMessageId}`);
    expect(fetched.status).toBe(200);
    const post = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/channels/${fake.channelIds[0]}/messages` && fake.requests.indexOf(r) >= before);
    expect(post.json?.message_reference).toMatchObject({ message_id: resultMessageId });
    const final = await fake.waitForRequest(
      (r) => r.method === 'PATCH' && r.path.startsWith(`/channels/${fake.channelIds[0]}/messages/`) && hasFile(r, '.gif'),
      60_000,
      'regenerated result',
    );
    const text = content(final);
    expect(text).toContain('🔁 new seed of job');
    expect(seedOf(text)).not.toBe(7);
    const newJobId = /diffuse:regen:([a-z0-9]+)/.exec(JSON.stringify(final.json?.components))![1];
    const job = await engine.get(newJobId);
    expect(job).toMatchObject({ parentId: firstJobId, owner: { platform: 'discord', userId: '200000000000000002' } });
    expect(job!.spec.seed).toBe(seedOf(text));
    expect(await sharp(final.files.find((f) => f.filename.endsWith('.png'))!.data).metadata()).toMatchObject({ format: 'png' });
    await adapter.idle();
  });

  it('🔁 under a role allowlist reads the roles of a member it has not cached; in a channel not enabled it is ignored without a reply', async () => {
    const role = fake.roleIds[0];
    const lines = await swapAdapter({ ...config, discord: { ...config.discord, allowedRoles: [role], allowedChannels: [fake.channelIds[0]] } });
    try {
      const channelPosts = (from: number) => fake.requests.slice(from).filter((r) => r.path.startsWith('/channels/') && r.method !== 'GET');

      // Not enabled in channelIds[1]: no message there, not even a refusal.
      const elsewhere = fake.postBotMessage(fake.channelIds[1], `**imagine** "a rocket"\njob \`${firstJobId}\``);
      const before = fake.requests.length;
      fake.sendReaction({ messageId: elsewhere.id, emoji: '🔁', userId: '200000000000000011', roles: [role] });
      await vi.waitFor(() => expect(lines.some((l) => l.includes('discord reaction ignored: channel not allowed'))).toBe(true), { timeout: 10_000 });
      expect(channelPosts(before)).toEqual([]);

      // The reaction carries no member and the client has no GuildMembers intent: the roles come from GET /guilds/:id/members/:user.
      const artist = '200000000000000012';
      fake.members.set(artist, [role]);
      fake.sendReaction({ messageId: resultMessageId, emoji: '🔁', userId: artist, withMember: false });
      const got = await fake.waitForRequest((r) => r.method === 'GET' && r.path === `/guilds/${fake.guildId}/members/${artist}`, 10_000, 'member fetch');
      expect(got.status).toBe(200);
      const final = await fake.waitForRequest(
        (r) => fake.requests.indexOf(r) >= before && r.method === 'PATCH' && r.path.startsWith(`/channels/${fake.channelIds[0]}/messages/`) && hasFile(r, '.gif'),
        60_000,
        'regenerated result',
      );
      expect(content(final)).toContain(`🔁 new seed of job \`${firstJobId}\`, for <@${artist}>`);
      await adapter.idle();

      // A member without the role is refused in the enabled channel.
      const outsider = '200000000000000013';
      fake.members.set(outsider, []);
      const mark = fake.requests.length;
      fake.sendReaction({ messageId: resultMessageId, emoji: '🔁', userId: outsider, withMember: false });
      const refusal = await fake.waitForRequest((r) => fake.requests.indexOf(r) >= mark && r.method === 'POST' && r.path === `/channels/${fake.channelIds[0]}/messages`);
      expect(content(refusal)).toBe('⚠️ You need one of the roles allowed to use me; ask a moderator.');
    } finally {
      await restoreAdapter();
    }
  });

  it('takes attachments up to UPLOAD_MAX_BYTES, not a fixed 10 MiB', async () => {
    await swapAdapter({ ...config, uploadMaxBytes: 20 * 1024 * 1024 });
    try {
      const huge = fake.addAttachment('big.png', Buffer.from('x'), 'image/png', 50 * 1024 * 1024);
      const a = fake.sendCommand({ name: 'sketch', attachments: { image: huge }, userId: '200000000000000014' });
      const reply = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path.endsWith(`/${a.token}/messages/@original`));
      expect(content(reply)).toMatch(/is 50\.0 MiB; the limit is 20\.0 MiB/);
    } finally {
      await restoreAdapter();
    }
  });

  it('the Info button under a result answers its /info to the presser only', async () => {
    const final = fake.messages.get(resultMessageId)!;
    expect(JSON.stringify(final.components)).toContain(`diffuse:info:${firstJobId}`);
    const info = fake.sendButton({ customId: `diffuse:info:${firstJobId}`, messageId: resultMessageId, userId: '200000000000000009' });
    expect((await fake.waitForRequest(isCallback(info.id))).json).toMatchObject({ type: 5, data: { flags: 64 } });
    const reply = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path.endsWith(`/${info.token}/messages/@original`));
    expect(content(reply)).toContain(`Job \`${firstJobId}\`: imagine, done`);
    expect(content(reply)).toContain('seed 7');
    expect(content(reply)).toMatch(/diffuse imagine/);
  });

  it('❌ deletes a result for its requester only; the 🔁 button starts a new job', async () => {
    const stranger = fake.sendButton({ customId: `diffuse:delete:${firstJobId}`, messageId: resultMessageId, userId: '200000000000000009' });
    const refused = await fake.waitForRequest(isCallback(stranger.id));
    expect(refused.json).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(String((refused.json?.data as { content: string }).content)).toMatch(/Only the person who asked/);
    expect(fake.messages.has(resultMessageId)).toBe(true);

    const regen = fake.sendButton({ customId: `diffuse:regen:${firstJobId}`, messageId: resultMessageId, userId: '200000000000000001' });
    expect((await fake.waitForRequest(isCallback(regen.id))).json).toMatchObject({ type: 5 });
    const regenFinal = await fake.waitForRequest(finalEdit(regen.token), 60_000, 'button regenerate');
    expect(seedOf(content(regenFinal))).not.toBe(7);

    const owner = fake.sendButton({ customId: `diffuse:delete:${firstJobId}`, messageId: resultMessageId, userId: '200000000000000001' });
    expect((await fake.waitForRequest(isCallback(owner.id))).json).toMatchObject({ type: 6 });
    await fake.waitForRequest((r) => r.method === 'DELETE' && r.path === `/channels/${fake.channelIds[0]}/messages/${resultMessageId}`);
    expect(fake.messages.has(resultMessageId)).toBe(false);

    // A moderator (Manage Messages = 1 << 13) may delete someone else's result.
    const regenJobId = /diffuse:regen:([a-z0-9]+)/.exec(JSON.stringify(regenFinal.json?.components))![1];
    const mod = fake.sendButton({ customId: `diffuse:delete:${regenJobId}`, messageId: regen.originalId!, userId: '200000000000000008', permissions: String(1 << 13) });
    expect((await fake.waitForRequest(isCallback(mod.id))).json).toMatchObject({ type: 6 });
    await fake.waitForRequest((r) => r.method === 'DELETE' && r.path === `/channels/${fake.channelIds[0]}/messages/${regen.originalId}`);
    await adapter.idle();
  });

  it('the Cancel button under a running job stops it', async () => {
    const job = fake.sendCommand({ name: 'imagine', options: { prompt: 'a boat', steps: 100 }, userId: '200000000000000006' });
    const progress = await fake.waitForRequest(
      (r) => r.method === 'PATCH' && r.path.endsWith(`/${job.token}/messages/@original`) && /▰*▱+ \d+\/100/.test(content(r)),
      30_000,
      'progress',
    );
    const jobId = /diffuse:cancel:([a-z0-9]+)/.exec(JSON.stringify(progress.json?.components))![1];
    const press = fake.sendButton({ customId: `diffuse:cancel:${jobId}`, messageId: job.originalId!, userId: '200000000000000006' });
    expect((await fake.waitForRequest(isCallback(press.id))).json).toMatchObject({ type: 5, data: { flags: 64 } });
    const answer = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path.endsWith(`/${press.token}/messages/@original`));
    expect(content(answer)).toBe(`Cancelled job \`${jobId}\`.`);
    const ended = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path.endsWith(`/${job.token}/messages/@original`) && content(r).includes('Cancelled.'));
    expect(ended.json?.components).toEqual([]);
    expect((await engine.get(jobId))?.status).toBe('cancelled');
    await adapter.idle();
  });

  it('reports a job left from before a restart in its channel', async () => {
    await adapter.stop();
    // Submitted while no adapter ran (as a job requeued by the engine after a restart).
    const res = await engine.submit({ technique: 'imagine', prompt: 'a moon', steps: 6 }, { platform: 'discord', userId: '200000000000000007', channelRef: fake.channelIds[1] });
    expect(res.ok).toBe(true);
    adapter = newAdapter();
    await adapter.start();
    const post = await fake.waitForRequest(
      (r) => r.method === 'POST' && r.path === `/channels/${fake.channelIds[1]}/messages` && hasFile(r, '.png'),
      60_000,
      'recovered result',
    );
    expect(content(post)).toContain('**imagine** "a moon"');
    expect(content(post)).toContain('Finished after a restart, for <@200000000000000007>.');
    expect(post.json?.allowed_mentions).toEqual({ parse: [], replied_user: false });
    await adapter.ready();
    await adapter.idle();
  });

  it('refuses bad attachments with a clear reply and stays up; a real image runs', async () => {
    const text = fake.addAttachment('notes.txt', Buffer.from('hello, not an image'), 'text/plain');
    const a = fake.sendCommand({ name: 'sketch', attachments: { image: text }, userId: '200000000000000003' });
    expect((await fake.waitForRequest(isCallback(a.id))).json).toMatchObject({ type: 5 });
    const reply = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path.endsWith(`/${a.token}/messages/@original`));
    expect(content(reply)).toMatch(/^⚠️ The image "notes\.txt" is not an image I can read \(text\/plain\)/);

    const huge = fake.addAttachment('big.png', Buffer.from('x'), 'image/png', 50 * 1024 * 1024);
    const b = fake.sendCommand({ name: 'sketch', attachments: { image: huge }, userId: '200000000000000003' });
    const hugeReply = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path.endsWith(`/${b.token}/messages/@original`));
    expect(content(hugeReply)).toMatch(/is 50\.0 MiB; the limit is 10\.0 MiB/);

    const fakePng = fake.addAttachment('broken.png', Buffer.from('definitely not png bytes'), 'image/png');
    const c = fake.sendCommand({ name: 'sketch', attachments: { image: fakePng }, userId: '200000000000000003' });
    const brokenReply = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path.endsWith(`/${c.token}/messages/@original`));
    expect(content(brokenReply)).toMatch(/^⚠️ /);
    expect(brokenReply.files).toHaveLength(0);

    const png = fake.addAttachment('sketch.png', await testPng(48, 40), 'image/png');
    const d = fake.sendCommand({ name: 'sketch', options: { prompt: 'a red car', noise_level: 3 }, attachments: { image: png }, userId: '200000000000000003' });
    const done = await fake.waitForRequest(finalEdit(d.token), 60_000, 'sketch result');
    expect(content(done)).toContain('**sketch** "a red car" · noise level 3');

    const help = fake.sendCommand({ name: 'help', userId: '200000000000000003' });
    expect((await fake.waitForRequest(isCallback(help.id))).json).toMatchObject({ type: 5, data: { flags: 64 } });
    const helpReply = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path.endsWith(`/${help.token}/messages/@original`));
    expect(content(helpReply)).toContain('/imagine prompt');
    await adapter.idle();
  });

  it('refuses direct messages when they are off', async () => {
    const dm = fake.sendCommand({ name: 'imagine', options: { prompt: 'a cat' }, dm: true, userId: '200000000000000004' });
    const cb = await fake.waitForRequest(isCallback(dm.id));
    expect(cb.json).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(String((cb.json?.data as { content: string }).content)).toMatch(/not in direct messages/);
  });

  it('moves a job whose interaction token expired to the channel', async () => {
    const before = fake.requests.length;
    // The token of this interaction lives 0 ms: every webhook edit answers 401, as after 15 minutes.
    const it2 = fake.sendCommand({ name: 'imagine', options: { prompt: 'a dog', steps: 4, sampler: 'ddim' }, userId: '200000000000000005', tokenLifetimeMs: 0 });
    expect((await fake.waitForRequest(isCallback(it2.id))).status).toBe(204);
    const final = await fake.waitForRequest(
      (r) => fake.requests.indexOf(r) >= before && r.method === 'PATCH' && r.path.startsWith('/channels/') && hasFile(r, '.png') && !hasFile(r, 'preview.png') && content(r).includes('"a dog"'),
      60_000,
      'result in the channel',
    );
    expect(content(final)).toContain('**imagine** "a dog"');
    expect(content(final)).toContain('sampler ddim');
    await adapter.idle();
  });

  it('acknowledges a flood of 30 interactions in time and refuses those over the limits politely', async () => {
    const sent = [];
    for (let k = 0; k < 30; k++) {
      const userId = `3000000000000000${String(k % 10).padStart(2, '0')}`;
      sent.push(fake.sendCommand({ name: 'imagine', options: { prompt: `a star ${k}`, steps: 2 }, userId }));
    }
    const callbacks = await Promise.all(sent.map((s) => fake.waitForRequest(isCallback(s.id), 10_000, `ack of ${s.id}`)));
    // The fake answers 404 "Unknown interaction" after Discord's 3 s deadline: 204 means in time.
    expect(callbacks.map((c) => c.status)).toEqual(Array(30).fill(204));

    let accepted = 0;
    let refused = 0;
    await Promise.all(
      sent.map(async (s) => {
        const r = await fake.waitForRequest(
          (x) => x.method === 'PATCH' && x.path.endsWith(`/${s.token}/messages/@original`) && (hasFile(x, '.gif') || content(x).startsWith('⚠️')),
          90_000,
          `answer of ${s.id}`,
        );
        if (hasFile(r, '.gif')) accepted++;
        else {
          refused++;
          expect(content(r)).toMatch(/^⚠️ (The queue is full \(15 jobs\); try again in a few minutes\.|You already have 2 jobs waiting or running; wait for one to finish or cancel one\.)$/);
        }
      }),
    );
    expect(accepted + refused).toBe(30);
    // Each user sent 3 at once with at most 2 pending allowed: some were refused, some ran.
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    await adapter.idle();
  });

  it('contacted no address but 127.0.0.1 and never sent the bot token outside Authorization', () => {
    expect(new Set(hosts)).toEqual(new Set(['127.0.0.1']));
    for (const r of fake.requests) expect(JSON.stringify(r.json ?? {})).not.toContain(fake.token);
  });
});
