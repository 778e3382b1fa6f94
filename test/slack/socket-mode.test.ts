// Socket Mode against the fake: apps.connections.open (with the app-level token) hands out a
// ws://127.0.0.1 URL, the fake says hello, then sends envelopes; the bot acknowledges each
// envelope over the socket and answers through the Web API and response_url.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from './fake-slack.ts';
import { APP_TOKEN, BOT_TOKEN, SECRETS, startHarness, type Harness } from './helpers.ts';

describe('Slack adapter, Socket Mode', () => {
  const fake = new FakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
  let h: Harness;

  beforeAll(async () => {
    await fake.start();
    h = await startHarness(fake, { SLACK_MODE: 'socket' });
  });
  afterAll(async () => {
    await h?.close();
    await fake.stop();
  });

  const slash = (envelopeId: string, command: string, text: string, responseId: string) =>
    fake.sendEnvelope({
      envelope_id: envelopeId,
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: {
        token: 'legacy-verification-token',
        team_id: fake.teamId,
        team_domain: 'fake',
        channel_id: 'C0000004',
        channel_name: 'general',
        user_id: 'UUSER001',
        user_name: 'alice',
        command,
        text,
        api_app_id: 'A0000001',
        response_url: fake.responseUrl(responseId),
        trigger_id: 'trig.socket',
      },
    });

  it('connects with the app-level token and no listening port', async () => {
    const open = fake.callsOf('apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0].token).toBe(APP_TOKEN);
    expect(fake.socketCount).toBe(1);
    expect(h.bot.port).toBeUndefined();
  });

  it('acknowledges a slash command envelope and answers through response_url', async () => {
    slash('env-queue-1', '/queue', '', 'socket-queue');
    const ack = await fake.waitFor(() => fake.socketMessages.find((m) => m.envelope_id === 'env-queue-1'), 10_000, 'the ack envelope');
    expect(ack.payload).toEqual({});
    const reply = await fake.waitFor(() => fake.responses.find((r) => r.id === 'socket-queue'), 10_000, 'the /queue reply');
    expect(reply.body.text).toBe('The queue is empty: a new job starts right away.');
  });

  it('runs /imagine over the socket end to end', async () => {
    slash('env-imagine-1', '/imagine', 'a lighthouse --steps 2 --seed 21 --sampler dpmpp-2m', 'socket-imagine');
    await fake.waitFor(() => fake.socketMessages.find((m) => m.envelope_id === 'env-imagine-1'), 10_000, 'the ack envelope');
    const complete = await fake.waitFor(() => fake.callsOf('files.completeUploadExternal')[0], 60_000, 'the upload');
    const status = fake.messagesOf('C0000004').find((m) => m.metadata)!;
    expect(complete.args.thread_ts).toBe(status.ts);
    expect(String(complete.args.initial_comment)).toContain('*imagine* "a lighthouse"');
    expect(String(complete.args.initial_comment)).toContain('seed 21 · 2 steps');
    expect(String(complete.args.initial_comment)).toContain('sampler dpmpp-2m');
    for (const s of SECRETS) expect(h.logs()).not.toContain(s);
  });

  it('acknowledges an events_api envelope and keeps working after a bad one', async () => {
    fake.sendEnvelope({ envelope_id: 'env-bad', type: 'events_api', accepts_response_payload: false, payload: { type: 'event_callback', event: { type: 'reaction_added' } } });
    fake.sendEnvelope({ envelope_id: 'env-junk', type: 'nonsense' });
    slash('env-queue-2', '/queue', '', 'socket-queue-2');
    await fake.waitFor(() => fake.responses.find((r) => r.id === 'socket-queue-2'), 10_000, 'the second /queue reply');
    expect(fake.socketMessages.some((m) => m.envelope_id === 'env-bad')).toBe(true);
  });
});
