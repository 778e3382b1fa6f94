// The strict fake Slack: Block Kit limits and slack_file rules answered with invalid_blocks,
// chat.update replacing blocks, uploads that are processed after the call returns, `ratelimited`
// (HTTP 429 + Retry-After) and other errors on demand, and Socket Mode redelivery of an envelope
// not acknowledged in time. The adapter's error branches are driven through each of them.
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from './fake-slack.ts';
import { APP_TOKEN, BOT_TOKEN, postSigned, slashCommandForm, startHarness, type Harness } from './helpers.ts';

const FORM = 'application/x-www-form-urlencoded';
const C = 'C0000007';

/** The data of the platform error a WebClient call fails with. */
async function failure(p: Promise<unknown>): Promise<{ error: string; errors?: string[] }> {
  const err = (await p.then(
    () => null,
    (e: unknown) => e,
  )) as { data?: { error: string; errors?: string[] } } | null;
  expect(err?.data).toBeDefined();
  return err!.data!;
}

describe('strict fake Slack, HTTP mode', () => {
  const fake = new FakeSlack({ botToken: BOT_TOKEN });
  let h: Harness;
  let client: webApi.WebClient;

  beforeAll(async () => {
    await fake.start();
    h = await startHarness(fake, { SLACK_MODE: 'http' });
    client = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 50 } });
  });
  afterAll(async () => {
    await h?.close();
    await fake.stop();
  });

  const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
  const button = (text: string, actionId = 'a', value = 'v') => ({ type: 'button', text: { type: 'plain_text', text }, action_id: actionId, value });
  const post = (blocks: unknown[], channel = C) => client.chat.postMessage({ channel, text: 'fallback', blocks: blocks as never });

  it('refuses blocks over the Block Kit limits with invalid_blocks and a json-pointer per fault', async () => {
    expect((await post(Array.from({ length: 50 }, () => section('ok')))).ok).toBe(true);
    const many = await failure(post(Array.from({ length: 51 }, () => section('x'))));
    expect(many).toMatchObject({ error: 'invalid_blocks', errors: ['no more than 50 items allowed [json-pointer:/blocks]'] });
    const long = await failure(post([section('x'.repeat(3001))]));
    expect(long.errors).toEqual(['must be less than 3001 characters [json-pointer:/blocks/0/text/text]']);
    const buttons = await failure(post([{ type: 'actions', elements: [button('b'.repeat(76)), button('ok', 'i'.repeat(256)), button('ok', 'c', 'v'.repeat(2001))] }]));
    expect(buttons.errors).toEqual([
      'must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]',
      'must be less than 256 characters [json-pointer:/blocks/0/elements/1/action_id]',
      'must be less than 2001 characters [json-pointer:/blocks/0/elements/2/value]',
    ]);
    const image = await failure(post([{ type: 'image', image_url: 'file:///etc/passwd', alt_text: 'x' }]));
    expect(image.errors).toEqual(['invalid_url [json-pointer:/blocks/0/image_url]']);
  });

  it('chat.update replaces the blocks of a message', async () => {
    const first = await post([section('one'), { type: 'actions', elements: [button('go')] }]);
    await client.chat.update({ channel: C, ts: first.ts!, text: 'two', blocks: [section('two')] as never });
    expect(fake.message(C, first.ts!)?.blocks).toEqual([section('two')]);
    expect((await failure(client.chat.update({ channel: C, ts: first.ts!, text: 'x', blocks: [section('')] as never }))).error).toBe('invalid_blocks');
  });

  it('shows an uploaded file only once it is processed and shared where the message goes', async () => {
    fake.uploadDelayMs = 300;
    try {
      const up = (await client.files.uploadV2({ channel_id: C, file: Buffer.from('png bytes'), filename: 'a.png' })) as unknown as { files: { files: { id: string }[] }[] };
      const id = up.files[0].files[0].id;
      const image = [{ type: 'image', slack_file: { id }, alt_text: 'a' }];
      // Right after the upload, Slack is still processing the file.
      expect((await failure(post(image))).errors).toEqual(['invalid slack file [json-pointer:/blocks/0/slack_file]']);
      await fake.waitFor(() => fake.messagesOf(C).find((m) => m.files?.some((f) => f.id === id)), 5_000, 'the share');
      expect((await post(image)).ok).toBe(true);
      // Not shared in another channel (nor uploaded unshared): refused there, ephemeral or not.
      expect((await failure(post(image, 'C0000008'))).error).toBe('invalid_blocks');
      expect((await failure(client.chat.postEphemeral({ channel: 'C0000008', user: 'UUSER001', text: 'x', blocks: image as never }))).error).toBe('invalid_blocks');
    } finally {
      fake.uploadDelayMs = 30;
    }
  });

  it('answers ratelimited with HTTP 429 and Retry-After; the client waits and retries, or rejects when told to', async () => {
    fake.failNext('chat.postMessage', 'ratelimited', 1, 1);
    const t0 = Date.now();
    expect((await client.chat.postMessage({ channel: C, text: 'after a wait' })).ok).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    const strict = new webApi.WebClient(BOT_TOKEN, { slackApiUrl: fake.apiUrl, rejectRateLimitedCalls: true });
    fake.failNext('chat.postMessage', 'ratelimited', 1, 7);
    const err = (await strict.chat.postMessage({ channel: C, text: 'x' }).catch((e: unknown) => e)) as { code: string; retryAfter: number };
    expect(err.code).toBe(webApi.ErrorCode.RateLimitedError);
    expect(err.retryAfter).toBe(7);
  });

  const imagine = (text: string, user = 'UUSER001') => postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/imagine', text, channel: C, user }), FORM);
  const statusOf = (prompt: string) => fake.messagesOf(C).find((m) => m.metadata && m.text.includes(`"${prompt}"`));

  it('a ratelimited status edit is retried and the result still arrives with its buttons', async () => {
    fake.failNext('chat.update', 'ratelimited', 1, 1);
    await imagine('a tin robot --seed 2 --steps 3');
    const status = await fake.waitFor(() => statusOf('a tin robot'), 20_000, 'the status');
    const done = await fake.waitFor(() => fake.message(C, status.ts)?.blocks?.some((b) => (b as { type: string }).type === 'actions') && fake.message(C, status.ts), 60_000, 'the buttons');
    expect(done.text).toContain(':white_check_mark: Done in');
    expect(fake.callsOf('chat.update').length).toBeGreaterThanOrEqual(2);
    expect(fake.messagesOf(C).some((m) => m.thread_ts === status.ts && m.files?.length)).toBe(true);
  });

  it('when Slack refuses the buttons (invalid_blocks), the status still shows the end as text', async () => {
    fake.failNext('chat.update', 'invalid_blocks', 1, 1, (a) => a.blocks !== undefined);
    await imagine('a glass apple --seed 3 --steps 2');
    const status = await fake.waitFor(() => statusOf('a glass apple'), 20_000, 'the status');
    const ended = await fake.waitFor(() => (fake.message(C, status.ts)?.text.includes(':white_check_mark: Done in') ? fake.message(C, status.ts) : null), 60_000, 'the final text');
    expect(ended.blocks).toBeUndefined();
    expect(h.logs()).toContain('final status edit failed');
  });

  it('a failed upload is named in the status, with the job id', async () => {
    fake.failNext('files.completeUploadExternal', 'internal_error');
    await imagine('a stone bridge --seed 4 --steps 2');
    const status = await fake.waitFor(() => statusOf('a stone bridge'), 20_000, 'the status');
    const ended = await fake.waitFor(() => (fake.message(C, status.ts)?.text.includes('could not upload the result') ? fake.message(C, status.ts) : null), 60_000, 'the upload failure');
    expect(ended.text).toContain('internal_error');
  });

  it('a private job whose status cannot be shown is cancelled, and the requester is told', async () => {
    fake.failNext('chat.postEphemeral', 'channel_not_found');
    const responseId = 'private-status-fails';
    await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/imagine', text: 'a hidden key --steps 2 --private', channel: C, user: 'UUSER004', responseId }), FORM);
    const reply = await fake.waitFor(() => fake.responses.find((r) => r.id === responseId && String(r.body.text).includes('cancelled')), 20_000, 'the reply');
    expect(String(reply.body.text)).toContain('channel_not_found');
  });

  it('a private result whose note Slack refuses falls back to a plain notice', async () => {
    fake.failNext('chat.postEphemeral', 'invalid_blocks', 1, 1, (a) => String(a.text).includes('direct messages with me'));
    await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/imagine', text: 'a secret map --seed 6 --steps 2 --private', channel: C, user: 'UUSER005' }), FORM);
    const notice = await fake.waitFor(() => fake.ephemerals.find((e) => e.user === 'UUSER005' && e.text.includes('could not show you the result')), 60_000, 'the notice');
    expect(notice.channel).toBe(C);
  });
});

describe('strict fake Slack, Socket Mode redelivery', () => {
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

  const mention = (envelopeId: string, eventId: string, ts: string) =>
    fake.sendEnvelope({
      envelope_id: envelopeId,
      type: 'events_api',
      accepts_response_payload: false,
      payload: {
        token: 'legacy-verification-token',
        team_id: fake.teamId,
        api_app_id: 'A0000001',
        type: 'event_callback',
        event_id: eventId,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'app_mention', user: 'UUSER001', text: `<@${fake.botUserId}> help`, ts, channel: C, event_ts: ts },
      },
    });

  it('an acknowledged envelope is not sent again', async () => {
    fake.ackTimeoutMs = 300;
    const ts = fake.nextTs();
    mention('env-acked', 'EvACKED01', ts);
    await fake.waitFor(() => fake.socketMessages.find((m) => m.envelope_id === 'env-acked'), 10_000, 'the ack');
    await new Promise((r) => setTimeout(r, 600));
    expect(fake.envelopes.filter((e) => e.envelope_id === 'env-acked')).toHaveLength(1);
  });

  it('an envelope not acknowledged in time comes again with retry_attempt and retry_reason; the bot answers once', async () => {
    fake.ackTimeoutMs = 1;
    const ts = fake.nextTs();
    mention('env-late', 'EvLATE0001', ts);
    await fake.waitFor(() => fake.envelopes.find((e) => e.envelope_id === 'env-late' && e.retry_attempt === 1), 10_000, 'the redelivery');
    const retry = fake.envelopes.find((e) => e.envelope_id === 'env-late' && e.retry_attempt === 1)!;
    expect(retry.retry_reason).toBe('timeout');
    await fake.waitFor(() => fake.callsOf('chat.postMessage').find((c) => c.args.thread_ts === ts), 10_000, 'the reply');
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.callsOf('chat.postMessage').filter((c) => c.args.thread_ts === ts)).toHaveLength(1);
    expect(fake.socketMessages.filter((m) => m.envelope_id === 'env-late').length).toBeGreaterThanOrEqual(2);
  });
});
