// Images posted on Slack as inputs: "@bot sketch ..." in the thread of an image (the most recent
// image of the thread, read with conversations.replies), the message shortcut with its modal,
// and bad files (not an image, undecodable, too large) answered clearly while the bot stays up.
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack, type FakeFile } from './fake-slack.ts';
import { BOT_TOKEN, eventCallback, interactionForm, postSigned, startHarness, testPng, type Harness } from './helpers.ts';

const JSON_TYPE = 'application/json';
const FORM = 'application/x-www-form-urlencoded';
const C = 'C0000003';

describe('Slack adapter, images from the channel', () => {
  const fake = new FakeSlack({ botToken: BOT_TOKEN });
  let h: Harness;

  const mentionIn = (threadTs: string | undefined, text: string) => {
    const m = fake.addUserMessage(C, { user: 'UUSER001', text: `<@${fake.botUserId}> ${text}`, ...(threadTs ? { thread_ts: threadTs } : {}) });
    return postSigned(
      h.eventsUrl,
      eventCallback(fake, { type: 'app_mention', user: 'UUSER001', text: m.text, ts: m.ts, channel: C, ...(threadTs ? { thread_ts: threadTs } : {}) }),
      JSON_TYPE,
    );
  };
  const replyIn = (threadTs: string, n = 1) =>
    fake.waitFor(() => fake.messagesOf(C).filter((m) => m.thread_ts === threadTs && m.user === fake.botUserId)[n - 1], 30_000, 'a reply in the thread');
  const publicFile = (f: FakeFile) => {
    const { bytes: _b, chunked: _c, ...rest } = f;
    return rest;
  };

  beforeAll(async () => {
    await fake.start();
    // No maxDownloadBytes: downloads are capped at UPLOAD_MAX_BYTES, the engine's own upload limit.
    h = await startHarness(fake, { SLACK_MODE: 'http', UPLOAD_MAX_BYTES: String(1024 * 1024) });
  });
  afterAll(async () => {
    await h?.close();
    await fake.stop();
  });

  it('answers a mention in the thread of a non-image file with an error', async () => {
    const notes = fake.addFile({ name: 'notes.txt', bytes: Buffer.from('not a picture'), mimetype: 'text/plain' });
    const post = fake.addUserMessage(C, { user: 'UUSER001', files: [notes] });
    const res = await mentionIn(post.ts, 'sketch a rocket ship');
    expect(res.status).toBe(200);
    const reply = await replyIn(post.ts);
    expect(reply.text).toContain('The most recent file here, notes.txt (text/plain), is not an image.');
    expect(reply.text).toContain('/sketch needs one');
    expect(fake.fileRequests).toHaveLength(0);
  });

  it('answers an undecodable "image" and a too large one clearly, without fetching the large one', async () => {
    const broken = fake.addFile({ name: 'broken.png', bytes: Buffer.from('definitely not a png, just text bytes'), mimetype: 'image/png' });
    const p1 = fake.addUserMessage(C, { user: 'UUSER001', files: [broken] });
    await mentionIn(p1.ts, 'sketch a castle');
    const r1 = await replyIn(p1.ts);
    expect(r1.text).toMatch(/^:warning: broken\.png \(image\/png\): /);
    expect(fake.fileRequests.at(-1)?.authorization).toBe(`Bearer ${BOT_TOKEN}`);

    const big = fake.addFile({ name: 'huge.png', bytes: await testPng(), mimetype: 'image/png', size: 50 * 1024 * 1024 });
    const p2 = fake.addUserMessage(C, { user: 'UUSER001', files: [big] });
    const requests = fake.fileRequests.length;
    await mentionIn(p2.ts, 'noise');
    const r2 = await replyIn(p2.ts);
    expect(r2.text).toContain('huge.png is 50.0 MB; the limit is 1.0 MB');
    expect(fake.fileRequests).toHaveLength(requests);
  });

  it('stays up: a sketch mention in the thread of an image uses the most recent image and answers there', async () => {
    const older = await testPng(32, 32);
    const newer = await testPng(40, 48);
    const img1 = fake.addFile({ name: 'first.png', bytes: older });
    const root = fake.addUserMessage(C, { user: 'UUSER001', files: [img1] });
    const img2 = fake.addFile({ name: 'second.png', bytes: newer });
    fake.addUserMessage(C, { user: 'UUSER004', files: [img2], thread_ts: root.ts });
    await mentionIn(root.ts, 'sketch a castle --noise_level 30 --seed 5');
    const complete = await fake.waitFor(() => fake.callsOf('files.completeUploadExternal').find((c) => c.args.thread_ts === root.ts), 60_000, 'the sketch result');
    expect(String(complete.args.initial_comment)).toContain('*sketch* "a castle" · noise level 30');

    const status = fake.messagesOf(C).find((m) => m.thread_ts === root.ts && m.metadata)!;
    const job = await h.engine.get(status.metadata!.event_payload.job_id as string);
    expect(job?.spec).toMatchObject({ technique: 'sketch', prompt: 'a castle', noiseLevel: 30, seed: 5 });
    expect(job?.spec.image).toBe(createHash('sha256').update(newer).digest('hex'));
    const ids = (JSON.parse(String(complete.args.files)) as { id: string }[]).map((f) => f.id);
    const png = ids.map((id) => fake.uploads.get(id)!).find((u) => u.filename.endsWith('.png'))!;
    expect((await sharp(png.bytes!).metadata()).format).toBe('png');
  });

  it('explains what is missing when a mention has no image, and runs text techniques anywhere', async () => {
    const res = await mentionIn(undefined, 'noise --t 250');
    expect(res.status).toBe(200);
    // Looked for among all the bot's messages: the previous test's result may still be posting (uploads complete later).
    const reply = () => fake.messagesOf(C).find((m) => m.user === fake.botUserId && m.text.includes('I found no image here'));
    const noImage = await fake.waitFor(reply, 10_000, 'the no-image reply');
    expect(noImage.thread_ts).toBeDefined();

    await mentionIn(undefined, 'imagine a boat --steps 2 --seed 11');
    const done = await fake.waitFor(() => fake.callsOf('files.completeUploadExternal').find((c) => String(c.args.initial_comment).includes('"a boat"')), 60_000, 'the imagine result');
    expect(String(done.args.initial_comment)).toContain('seed 11 · 2 steps');
  });

  it('runs a technique from the message shortcut and its modal, answering in the image thread', async () => {
    const img = fake.addFile({ name: 'photo.png', bytes: await testPng(64, 64) });
    const post = fake.addUserMessage(C, { user: 'UUSER005', files: [img] });
    const shortcut = {
      type: 'message_action',
      callback_id: 'diffuse_image',
      trigger_id: 'trig.shortcut1',
      response_url: fake.responseUrl('shortcut1'),
      message_ts: post.ts,
      message: { type: 'message', ts: post.ts, user: 'UUSER005', text: '', files: [publicFile(img)] },
      user: { id: 'UUSER005', name: 'eve' },
      channel: { id: C, name: 'art' },
      team: { id: fake.teamId, domain: 'fake' },
      token: 'legacy-verification-token',
      action_ts: '1700000000.1',
    };
    expect((await postSigned(h.eventsUrl, interactionForm(shortcut), FORM)).status).toBe(200);
    const open = await fake.waitFor(() => fake.callsOf('views.open')[0], 10_000, 'views.open');
    expect(open.args.trigger_id).toBe('trig.shortcut1');
    const view = JSON.parse(String(open.args.view)) as { callback_id: string; private_metadata: string; blocks: { block_id: string; element: { options?: { value: string }[] } }[] };
    expect(view.callback_id).toBe('diffuse_image_submit');
    expect(view.blocks[0].element.options!.map((o) => o.value)).toEqual(['sketch', 'inpaint', 'noise', 'denoise']);

    const submission = (technique: string, args: string) => ({
      type: 'view_submission',
      team: { id: fake.teamId, domain: 'fake' },
      user: { id: 'UUSER005', name: 'eve' },
      api_app_id: 'A0000001',
      token: 'legacy-verification-token',
      trigger_id: 'trig.submit',
      view: {
        id: 'V0000001',
        type: 'modal',
        callback_id: 'diffuse_image_submit',
        private_metadata: view.private_metadata,
        state: {
          values: {
            technique: { technique: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: technique }, value: technique } } },
            args: { args: { type: 'plain_text_input', value: args } },
          },
        },
      },
    });
    const bad = await postSigned(h.eventsUrl, interactionForm(submission('noise', '--t lots --t 3')), FORM);
    expect(bad.status).toBe(200);
    const errors = (await bad.json()) as { response_action: string; errors: Record<string, string> };
    expect(errors.response_action).toBe('errors');
    expect(errors.errors.args).toContain('t is given twice');

    await postSigned(h.eventsUrl, interactionForm(submission('noise', '--t 100,600 --seed 9')), FORM);
    const complete = await fake.waitFor(() => fake.callsOf('files.completeUploadExternal').find((c) => c.args.thread_ts === post.ts), 60_000, 'the noise result');
    expect(String(complete.args.initial_comment)).toContain('*noise* t = 100, 600');
    expect(fake.callsOf('files.info').some((c) => c.args.file === img.id)).toBe(true);
    const status = fake.messagesOf(C).find((m) => m.thread_ts === post.ts && m.metadata)!;
    expect(status.text).toContain('<@UUSER005> asked for *noise t=100,600*');
  });
});
