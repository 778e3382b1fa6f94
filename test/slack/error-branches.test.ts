// The Slack adapter's error branches, each reached through an error the strict fake answers on
// demand (HTTP mode, signed requests, tiny model): a status that cannot be posted cancels its job
// and says why; a failed progress edit leaves the job running to its result; a thread Slack will
// not read answers the mention with a warning; a result whose files cannot be deleted still loses
// its messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from './fake-slack.ts';
import { BOT_TOKEN, eventCallback, postSigned, slashCommandForm, startHarness, type Harness } from './helpers.ts';

const FORM = 'application/x-www-form-urlencoded';
const C = 'C0000009';

describe('Slack adapter error branches', () => {
  const fake = new FakeSlack({ botToken: BOT_TOKEN });
  let h: Harness;

  beforeAll(async () => {
    await fake.start();
    h = await startHarness(fake, { SLACK_MODE: 'http' }, { statusIntervalMs: 0 });
  });
  afterAll(async () => {
    await h?.close();
    await fake.stop();
  });

  const imagine = (text: string, responseId: string) => postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/imagine', text, channel: C, user: 'UUSER001', responseId }), FORM);
  const statusOf = (prompt: string) => fake.messagesOf(C).find((m) => m.metadata && m.text.includes(`"${prompt}"`));

  it('a status message Slack refuses cancels the job and tells the requester why', async () => {
    fake.failNext('chat.postMessage', 'is_archived');
    await imagine('an old map --steps 2', 'status-refused');
    const reply = await fake.waitFor(() => fake.responses.find((r) => r.id === 'status-refused' && String(r.body.text).includes('could not post the status')), 20_000, 'the reply');
    expect(String(reply.body.text)).toContain('(is_archived), so I cancelled it.');
    const jobId = /job `([a-z0-9]+)`/.exec(String(reply.body.text))![1];
    for (let i = 0; i < 100 && (await h.engine.get(jobId))?.status !== 'cancelled'; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await h.engine.get(jobId))?.status).toBe('cancelled');
  });

  it('a progress edit that fails is skipped; the job runs on to its result and buttons', async () => {
    fake.failNext('chat.update', 'message_not_found', 1, 1, (a) => a.blocks === undefined);
    await imagine('a paper crane --seed 8 --steps 3', 'edit-fails');
    const status = await fake.waitFor(() => statusOf('a paper crane'), 20_000, 'the status');
    const done = await fake.waitFor(() => (fake.message(C, status.ts)?.blocks ? fake.message(C, status.ts) : null), 60_000, 'the result buttons');
    expect(done.text).toContain(':white_check_mark: Done in');
    expect(fake.callsOf('chat.update').filter((c) => c.args.ts === status.ts).length).toBeGreaterThanOrEqual(2);
  });

  it(':x: on a result whose files Slack will not delete still removes its messages', async () => {
    await imagine('a wax seal --seed 9 --steps 2', 'delete-fails');
    const status = await fake.waitFor(() => statusOf('a wax seal'), 20_000, 'the status');
    const result = await fake.waitFor(() => fake.messagesOf(C).find((m) => m.thread_ts === status.ts && m.files?.length), 60_000, 'the result');
    await fake.waitFor(() => fake.message(C, status.ts)?.blocks, 10_000, 'the buttons');
    fake.failNext('files.delete', 'cant_delete_file', 2);
    const event = { type: 'reaction_added', user: 'UUSER001', reaction: 'x', item: { type: 'message', channel: C, ts: status.ts }, item_user: fake.botUserId };
    await postSigned(h.eventsUrl, eventCallback(fake, event), 'application/json');
    await fake.waitFor(() => !fake.message(C, result.ts) && !fake.message(C, status.ts), 10_000, 'the deletion');
    expect(fake.callsOf('files.delete').length).toBeGreaterThanOrEqual(1);
    expect(h.logs()).toContain('files.delete failed');
  });

  it('a mention whose thread Slack will not read answers with a warning', async () => {
    const root = fake.addUserMessage(C, { user: 'UUSER001', text: 'look' });
    const m = fake.addUserMessage(C, { user: 'UUSER001', text: `<@${fake.botUserId}> sketch a castle`, thread_ts: root.ts });
    fake.failNext('conversations.replies', 'internal_error');
    await postSigned(h.eventsUrl, eventCallback(fake, { type: 'app_mention', user: 'UUSER001', text: m.text, ts: m.ts, channel: C, thread_ts: root.ts }), 'application/json');
    const reply = await fake.waitFor(() => fake.callsOf('chat.postMessage').find((c) => c.args.thread_ts === root.ts), 20_000, 'the warning');
    expect(String(reply.args.text)).toBe(':warning: Something went wrong; please try again.');
  });
});
