// /settings, content rules and private replies on Slack (HTTP mode, signed requests to the bot,
// Web API calls to the local fake on 127.0.0.1, tiny model): a private /imagine is shown only to
// its requester (chat.postEphemeral, files uploaded unshared), never in the channel; a user's
// setting changes the next job; a workspace admin's banned word is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_REFUSAL } from '../../src/engine/content-rules.ts';
import { FakeSlack } from './fake-slack.ts';
import { BOT_TOKEN, postSigned, slashCommandForm, startHarness, type Harness } from './helpers.ts';

const FORM = 'application/x-www-form-urlencoded';

describe('Slack settings, content rules and private replies', () => {
  const fake = new FakeSlack({ botToken: BOT_TOKEN });
  let h: Harness;

  beforeAll(async () => {
    await fake.start();
    h = await startHarness(fake, { SLACK_MODE: 'http' });
  });
  afterAll(async () => {
    await h?.close();
    await fake.stop();
  });

  /** Sends a slash command and returns the text of its response_url reply. */
  async function slash(command: string, text: string, user: string, channel = 'C0000001'): Promise<{ text: string; type: unknown }> {
    const responseId = `r${Math.random().toString(36).slice(2)}`;
    const res = await postSigned(h.eventsUrl, slashCommandForm(fake, { command, text, user, channel, responseId }), FORM);
    expect(res.status).toBe(200);
    const r = await fake.waitFor(() => fake.responses.find((x) => x.id === responseId), 20_000, `${command} reply`);
    return { text: String(r.body.text), type: r.body.response_type };
  }

  it('a private /imagine is shown only to its requester: ephemeral status and result, files shared nowhere', async () => {
    const before = fake.callsOf('chat.postMessage').length;
    const res = await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/imagine', text: 'a rocket ship --seed 3 --steps 1 --private', channel: 'C0000001', user: 'UUSER001' }), FORM);
    expect(res.status).toBe(200);
    const result = await fake.waitFor(
      () => fake.callsOf('chat.postEphemeral').find((c) => c.args.user === 'UUSER001' && String(c.args.blocks ?? '').includes('slack_file')),
      60_000,
      'the private result',
    );
    const blocks = JSON.parse(String(result.args.blocks)) as { type: string; slack_file?: { id: string } }[];
    const images = blocks.filter((b) => b.type === 'image');
    expect(images).toHaveLength(2);
    const queued = fake.callsOf('chat.postEphemeral').find((c) => c.args.user === 'UUSER001' && String(c.args.text).includes('only you see this'));
    expect(String(queued?.args.text)).toContain('asked for *imagine "a rocket ship"*');
    expect(String(result.args.text)).toContain('seed 3 · 1 step');
    // The uploads completed without a channel, and nothing was posted in the channel.
    const complete = fake.callsOf('files.completeUploadExternal').at(-1)!;
    expect(complete.args.channel_id).toBeUndefined();
    expect(images.map((b) => b.slack_file!.id).sort()).toEqual((JSON.parse(String(complete.args.files)) as { id: string }[]).map((f) => f.id).sort());
    expect(fake.callsOf('chat.postMessage').length).toBe(before);
    expect(fake.messagesOf('C0000001').some((m) => m.files?.length)).toBe(false);
  });

  it("a user's /settings change the next job; the workspace's banned words (admins only) are refused", async () => {
    expect((await slash('/settings', '--steps 2 --cfg 1.5', 'UUSER002')).text).toContain('Saved. Your settings are updated.');
    const denied = await slash('/settings', '--scope server --banned zorblax', 'UUSER002');
    expect(denied.text).toContain("Only the server's admins");
    const set = await slash('/settings', '--scope server --banned zorblax', 'UADMIN01');
    expect(set.type).toBe('ephemeral');
    expect(set.text).toContain('Server list (admins only): zorblax');

    const refused = await slash('/imagine', 'a zorblax --steps 1', 'UUSER002');
    expect(refused.text).toBe(`:warning: ${CONTENT_REFUSAL}`);

    await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/imagine', text: 'a ship --seed 5', user: 'UUSER002' }), FORM);
    await fake.waitFor(() => fake.callsOf('files.completeUploadExternal').find((c) => String(c.args.initial_comment).includes('"a ship"')), 60_000, 'the upload');
    const row = h.engine.store.db.prepare("SELECT spec FROM jobs WHERE user_id = 'UUSER002' ORDER BY seq DESC LIMIT 1").get() as { spec: string };
    expect(JSON.parse(row.spec)).toMatchObject({ prompt: 'a ship', steps: 2, guidance: 1.5 });
  });
});
