// The queue and per-user limits come before any image download: a Slack user who already has
// USER_MAX_PENDING jobs gets the refusal in the thread (mention) or as an ephemeral message
// (shortcut modal), and the fake sees neither files.info nor a url_private download.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubmitResult } from '../../src/jobs/api.ts';
import { FakeSlack } from './fake-slack.ts';
import { BOT_TOKEN, eventCallback, interactionForm, postSigned, startHarness, testPng, type Harness } from './helpers.ts';

const C = 'CADMIT01';
const USER = 'UBUSY001';
const LIMIT_TEXT = 'You already have 2 jobs waiting or running; wait for one to finish or cancel one.';

describe('Slack admission before downloads', () => {
  const fake = new FakeSlack({ botToken: BOT_TOKEN });
  let h: Harness;
  let held: SubmitResult[] = [];

  beforeAll(async () => {
    await fake.start();
    h = await startHarness(fake, { SLACK_MODE: 'http', USER_MAX_PENDING: '2', QUEUE_MAX: '10' });
  });
  afterAll(async () => {
    await h?.close();
    await fake.stop();
  });

  /** A long job of someone else holds the worker, so the user's two jobs stay pending. */
  const fillUserSlots = async () => {
    const owner = { platform: 'slack', userId: USER };
    held = [
      await h.engine.submit({ technique: 'imagine', prompt: 'a long wait', steps: 100 }, { platform: 'slack', userId: 'UOTHER01' }),
      await h.engine.submit({ technique: 'imagine', prompt: 'a cat', steps: 100 }, owner),
      await h.engine.submit({ technique: 'imagine', prompt: 'a dog', steps: 100 }, owner),
    ];
    expect(held.map((r) => r.ok)).toEqual([true, true, true]);
    expect(h.engine.checkAdmission(owner)).toMatchObject({ ok: false, code: 'user_limit' });
  };
  const freeSlots = async () => {
    for (const j of held) if (j.ok) await h.engine.cancel(j.jobId, { userId: 'UADMIN01', isAdmin: true, platform: 'slack' });
    expect(h.engine.checkAdmission({ platform: 'slack', userId: USER })).toBeNull();
  };
  const mention = (threadTs: string, text: string) => {
    const m = fake.addUserMessage(C, { user: USER, text: `<@${fake.botUserId}> ${text}`, thread_ts: threadTs });
    return postSigned(h.eventsUrl, eventCallback(fake, { type: 'app_mention', user: USER, text: m.text, ts: m.ts, channel: C, thread_ts: threadTs }), 'application/json');
  };
  const botReplies = (threadTs: string) => fake.messagesOf(C).filter((m) => m.thread_ts === threadTs && m.user === fake.botUserId);

  it('refuses a mention at the per-user limit without fetching the image; fetches it once a slot is free', async () => {
    const img = fake.addFile({ name: 'busy.png', bytes: await testPng(40, 40) });
    const post = fake.addUserMessage(C, { user: USER, files: [img] });
    await fillUserSlots();
    expect((await mention(post.ts, 'sketch a red car')).status).toBe(200);
    const reply = await fake.waitFor(() => botReplies(post.ts)[0], 20_000, 'the refusal');
    expect(reply.text).toBe(`:warning: ${LIMIT_TEXT}`);
    expect(fake.fileRequests).toEqual([]);
    expect(fake.callsOf('files.info')).toEqual([]);

    // Control: the same mention with free slots downloads the image and runs.
    await freeSlots();
    await mention(post.ts, 'sketch a red car --noise_level 3 --seed 2');
    await fake.waitFor(() => fake.callsOf('files.completeUploadExternal').find((c) => c.args.thread_ts === post.ts), 60_000, 'the sketch result');
    expect(fake.fileRequests).toHaveLength(1);
  });

  it('refuses a shortcut submission at the per-user limit without fetching the image', async () => {
    const img = fake.addFile({ name: 'modal.png', bytes: await testPng(40, 40) });
    const post = fake.addUserMessage(C, { user: USER, files: [img] });
    const before = { files: fake.fileRequests.length, info: fake.callsOf('files.info').length };
    await fillUserSlots();
    const submission = {
      type: 'view_submission',
      team: { id: fake.teamId, domain: 'fake' },
      user: { id: USER, name: 'busy' },
      api_app_id: 'A0000001',
      token: 'legacy-verification-token',
      trigger_id: 'trig.admit',
      view: {
        id: 'V0000009',
        type: 'modal',
        callback_id: 'diffuse_image_submit',
        private_metadata: JSON.stringify({ c: C, t: post.ts, f: { id: img.id, name: img.name, mimetype: img.mimetype, filetype: img.filetype } }),
        state: {
          values: {
            technique: { technique: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'noise' }, value: 'noise' } } },
            args: { args: { type: 'plain_text_input', value: '--t 250' } },
          },
        },
      },
    };
    expect((await postSigned(h.eventsUrl, interactionForm(submission), 'application/x-www-form-urlencoded')).status).toBe(200);
    const eph = await fake.waitFor(() => fake.callsOf('chat.postEphemeral').find((c) => c.args.user === USER), 20_000, 'the ephemeral refusal');
    expect(eph.args.text).toBe(`:warning: ${LIMIT_TEXT}`);
    expect(eph.args.thread_ts).toBe(post.ts);
    expect(fake.fileRequests).toHaveLength(before.files);
    expect(fake.callsOf('files.info')).toHaveLength(before.info);
    await freeSlots();
  });
});
