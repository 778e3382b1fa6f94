// The app manifest's bot scopes against what the adapter really uses. Statically: every Web API
// method called under src/adapters/slack needs a scope the manifest asks for, and every scope it
// asks for is needed by a method, an event it subscribes to, its commands or its file downloads.
// Live: with the bot token holding exactly the manifest's scopes (the fake answers `missing_scope`
// otherwise), a slash command, a mention in an image's thread in a private channel, 🔁 and a
// private job delivered by direct message all complete without a refused call.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOT_SCOPES, buildSlackManifest } from '../../src/adapters/slack/manifest.ts';
import { FakeSlack } from './fake-slack.ts';
import { BOT_TOKEN, eventCallback, postSigned, ROOT, slashCommandForm, startHarness, testPng, type Harness } from './helpers.ts';
import { ALL_HISTORY_SCOPES, EVENT_SCOPES, METHOD_SCOPES } from './scopes.ts';

const JSON_TYPE = 'application/json';
const FORM = 'application/x-www-form-urlencoded';

/** Web API methods the adapter's source calls (files.uploadV2 is the two external-upload calls). */
function methodsCalled(): string[] {
  const dir = path.join(ROOT, 'src', 'adapters', 'slack');
  const src = readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
  const out = new Set<string>();
  for (const m of src.matchAll(/client\.([a-z]+)\.([a-zA-Z]+)\(/g)) {
    if (`${m[1]}.${m[2]}` === 'files.uploadV2') out.add('files.getUploadURLExternal').add('files.completeUploadExternal');
    else out.add(`${m[1]}.${m[2]}`);
  }
  out.add('auth.test');
  return [...out].sort();
}

describe('Slack scopes', () => {
  it('the manifest asks for exactly the scopes the adapter\'s calls, events, commands and downloads need', () => {
    const called = methodsCalled();
    for (const method of called) expect(Object.keys(METHOD_SCOPES), `a scope for ${method}`).toContain(method);
    const needed = new Set<string>(['commands', 'files:read']); // slash commands and the shortcut; url_private downloads
    for (const method of called) {
      const scope = METHOD_SCOPES[method];
      if (typeof scope === 'string') needed.add(scope);
      else if (scope) for (const s of ALL_HISTORY_SCOPES) needed.add(s); // conversations.replies in any kind of conversation
    }
    const manifest = buildSlackManifest();
    for (const event of manifest.settings.event_subscriptions.bot_events) needed.add(EVENT_SCOPES[event]);
    expect([...BOT_SCOPES].sort()).toEqual([...needed].sort());
    expect(manifest.oauth_config.scopes.bot).toEqual([...BOT_SCOPES]);
  });

  describe('with exactly the manifest\'s scopes', () => {
    const fake = new FakeSlack({ botToken: BOT_TOKEN });
    let h: Harness;
    const C = 'C0000041';
    const G = 'G0000042';
    const command = (text: string, channel = C) =>
      postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/imagine', text, channel }), FORM);
    const resultIn = (channel: string, after: number) =>
      fake.waitFor(() => fake.callsOf('files.completeUploadExternal').slice(after).find((c) => c.args.channel_id === channel), 60_000, `a result in ${channel}`);

    beforeAll(async () => {
      await fake.start();
      fake.grantedScopes = [...BOT_SCOPES];
      h = await startHarness(fake, { SLACK_MODE: 'http' });
    }, 60_000);
    afterAll(async () => {
      await h?.close();
      await fake.stop();
    });

    it('a slash command, 🔁 on its result, a mention under an image in a private channel and a private job: no call refused', async () => {
      expect((await command('a red heart --steps 2 --seed 1')).status).toBe(200);
      const first = await resultIn(C, 0);
      const status = fake.messagesOf(C).find((m) => m.ts === first.args.thread_ts)!;
      let n = fake.callsOf('files.completeUploadExternal').length;
      await postSigned(h.eventsUrl, eventCallback(fake, { type: 'reaction_added', user: 'UUSER002', reaction: 'repeat', item: { type: 'message', channel: C, ts: status.ts }, item_user: fake.botUserId }), JSON_TYPE);
      await resultIn(C, n);

      const img = fake.addFile({ name: 'sketch.png', bytes: await testPng(40, 40) });
      const root = fake.addUserMessage(G, { user: 'UUSER001', files: [img] });
      const mention = fake.addUserMessage(G, { user: 'UUSER001', text: `<@${fake.botUserId}> sketch a castle --steps 2`, thread_ts: root.ts });
      n = fake.callsOf('files.completeUploadExternal').length;
      await postSigned(h.eventsUrl, eventCallback(fake, { type: 'app_mention', user: 'UUSER001', text: mention.text, ts: mention.ts, channel: G, thread_ts: root.ts }), JSON_TYPE);
      await resultIn(G, n);

      n = fake.callsOf('files.completeUploadExternal').length;
      await command('a lighthouse --steps 2 --private true');
      const dm = await fake.waitFor(() => fake.callsOf('files.completeUploadExternal').slice(n).find((c) => String(c.args.channel_id).startsWith('D')), 60_000, 'the private result in a DM');
      expect(dm).toBeDefined();
      expect(fake.callsOf('conversations.open').length).toBeGreaterThan(0);
      expect(fake.missingScopes).toEqual([]);
    }, 180_000);

    it('the fake refuses a call whose scope the token lacks (so the check above can fail)', async () => {
      fake.grantedScopes = BOT_SCOPES.filter((s) => s !== 'files:write');
      const n = fake.callsOf('files.getUploadURLExternal').length;
      await command('a red heart --steps 2 --seed 2');
      await fake.waitFor(() => fake.missingScopes.includes('files:write') || undefined, 60_000, 'a refused upload');
      expect(fake.callsOf('files.getUploadURLExternal').length).toBeGreaterThan(n);
      fake.grantedScopes = [...BOT_SCOPES];
    }, 90_000);
  });
});
