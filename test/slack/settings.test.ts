// /settings, content rules and private replies on Slack (HTTP mode, signed requests to the bot,
// Web API calls to the local fake on 127.0.0.1, tiny model): a private /imagine is shown only to
// its requester (chat.postEphemeral; files shared in their direct messages), never in the channel; a user's
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

  it('a private /imagine is shown only to its requester: ephemeral status, result files shared in their direct messages only', async () => {
    const before = fake.callsOf('chat.postMessage').length;
    const res = await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/imagine', text: 'a rocket ship --seed 3 --steps 1 --private', channel: 'C0000001', user: 'UUSER001' }), FORM);
    expect(res.status).toBe(200);
    const note = await fake.waitFor(() => fake.ephemerals.find((e) => e.user === 'UUSER001' && e.text.includes('direct messages')), 60_000, 'the private result note');
    expect(note.channel).toBe('C0000001');
    expect(note.text).toContain('seed 3 · 1 step');
    const queued = fake.ephemerals.find((e) => e.user === 'UUSER001' && e.text.includes('only you see this'));
    expect(queued?.text).toContain('asked for *imagine "a rocket ship"*');
    // The files went to the requester's direct messages (conversations.open with that user), nowhere else.
    expect(fake.callsOf('conversations.open').at(-1)!.args.users).toBe('UUSER001');
    const complete = fake.callsOf('files.completeUploadExternal').at(-1)!;
    expect(complete.args.channel_id).toBe('DUSER001');
    const dm = await fake.waitFor(() => fake.messagesOf('DUSER001').find((m) => m.files?.length), 5_000, 'the files in the DM');
    expect(dm.files!.map((f) => f.name).sort()).toEqual([expect.stringMatching(/\.gif$/), expect.stringMatching(/\.png$/)]);
    expect(fake.callsOf('chat.postMessage').length).toBe(before);
    expect(fake.messagesOf('C0000001').some((m) => m.files?.length)).toBe(false);
  });

  it('a private result that cannot go by direct message says why, with the caption, only to its requester', async () => {
    fake.failNext('conversations.open', 'cannot_dm_bot');
    await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/imagine', text: 'a paper boat --seed 4 --steps 1 --private', channel: 'C0000001', user: 'UUSER003' }), FORM);
    const note = await fake.waitFor(() => fake.ephemerals.find((e) => e.user === 'UUSER003' && e.text.includes('could not send you the images')), 60_000, 'the fallback note');
    expect(note.text).toContain('(cannot_dm_bot)');
    expect(note.text).toContain('seed 4 · 1 step');
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
