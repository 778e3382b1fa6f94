// The invite URL's permission integer against what the bot really calls: the fake Discord answers
// 403 "Missing Permissions" (50013) to a channel call whose permissions the bot lacks. With exactly
// the invite's permissions 🔁 regenerates a result in the channel (a fetch of the result message,
// a reply with files, its edits); without any one of them that flow is refused.
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOT_PERMISSIONS, BOT_PERMISSION_BITS, DiscordAdapter, inviteUrl } from '../../src/adapters/discord/index.ts';
import { startDiscordHarness, type DiscordHarness } from './harness.ts';
import type { RecordedRequest } from './fake-discord.ts';

let h: DiscordHarness;
let resultMessageId = '';

const isGif = (r: RecordedRequest) => r.files.some((f) => f.filename.endsWith('.gif'));

beforeAll(async () => {
  h = await startDiscordHarness({}, (fake) => ({ attachments: { extraHosts: [fake.host] } }));
  const cmd = h.fake.sendCommand({ name: 'imagine', options: { prompt: 'a red heart', seed: 3, steps: 2 }, userId: '200000000000000001' });
  await h.fake.waitForRequest((r) => r.method === 'PATCH' && r.path.endsWith(`/${cmd.token}/messages/@original`) && isGif(r), 60_000, 'the first result');
  await h.adapter.idle();
  resultMessageId = h.fake.interactions.get(cmd.id)!.originalId!;
}, 120_000);
afterAll(async () => {
  await h?.close();
});

/** Puts 🔁 on the first result with the bot holding `permissions`; the requests that followed. */
async function reroll(permissions: bigint, until: (r: RecordedRequest) => boolean): Promise<RecordedRequest[]> {
  // A new adapter each time, as after a restart: the result message is in no cache and must be fetched.
  await h.adapter.stop();
  h.adapter = new DiscordAdapter(h.engine, h.config, { attachments: { extraHosts: [h.fake.host] }, minEditIntervalMs: 50 });
  await h.adapter.start();
  await h.adapter.ready();
  h.fake.botPermissions = permissions;
  const before = h.fake.requests.length;
  h.fake.sendReaction({ messageId: resultMessageId, emoji: '🔁', userId: '200000000000000002' });
  await h.fake.waitForRequest((r) => h.fake.requests.indexOf(r) >= before && until(r), 60_000, 'the end of the 🔁 flow');
  await h.adapter.idle();
  return h.fake.requests.slice(before);
}

describe('Discord permissions', () => {
  it('the invite URL asks for the bot and applications.commands scopes and exactly the listed permissions', () => {
    const url = new URL(inviteUrl('123456789012345678'));
    expect(url.searchParams.get('client_id')).toBe('123456789012345678');
    expect(url.searchParams.get('scope')).toBe('bot applications.commands');
    expect(url.searchParams.get('permissions')).toBe('101376');
    const names = Object.entries(PermissionFlagsBits)
      .filter(([, bit]) => (BOT_PERMISSION_BITS & bit) !== 0n)
      .map(([name]) => name);
    expect(names.sort()).toEqual(Object.keys(BOT_PERMISSIONS).sort());
  });

  it('with exactly the invite\'s permissions, 🔁 regenerates in the channel and no call is refused', async () => {
    const channelPosts = (r: RecordedRequest) => r.path.startsWith(`/channels/${h.fake.channelIds[0]}/messages`);
    const seen = await reroll(BOT_PERMISSION_BITS, (r) => r.method === 'PATCH' && channelPosts(r) && isGif(r));
    expect(seen.filter((r) => r.status === 403)).toEqual([]);
    expect(seen.some((r) => r.method === 'GET' && r.path.endsWith(`/messages/${resultMessageId}`))).toBe(true);
    expect(seen.some((r) => r.method === 'POST' && channelPosts(r))).toBe(true);
  }, 90_000);

  it.each(Object.keys(BOT_PERMISSIONS))('without %s, the 🔁 flow is refused by Discord (so the invite must ask for it)', async (name) => {
    const without = BOT_PERMISSION_BITS & ~PermissionFlagsBits[name as keyof typeof PermissionFlagsBits];
    const seen = await reroll(without, (r) => r.status === 403);
    const refused = seen.find((r) => r.status === 403)!;
    expect(refused.path).toMatch(new RegExp(`^/channels/${h.fake.channelIds[0]}`));
    h.fake.botPermissions = null;
  }, 90_000);
});
