// HTTP mode end to end against the fake Slack: a signed /imagine runs on the tiny model and
// ends with a status message, its edits, and a PNG + GIF uploaded into the thread through the
// external upload flow with the shared caption; badly signed and stale requests are refused.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from './fake-slack.ts';
import { BOT_TOKEN, SECRETS, postSigned, slashCommandForm, startHarness, type Harness } from './helpers.ts';

const FORM = 'application/x-www-form-urlencoded';

describe('Slack adapter, HTTP mode', () => {
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

  it('runs a signed /imagine end to end: status message, edits, PNG + GIF in the thread, caption', async () => {
    const body = slashCommandForm(fake, { command: '/imagine', text: 'a rocket ship --seed 3 --steps 4 --cfg 5', channel: 'C0000001', user: 'UUSER001', responseId: 'imagine1' });
    const res = await postSigned(h.eventsUrl, body, FORM);
    expect(res.status).toBe(200);

    const complete = await fake.waitFor(() => fake.callsOf('files.completeUploadExternal')[0], 60_000, 'the upload to complete');
    const post = fake.callsOf('chat.postMessage')[0];
    expect(post.token).toBe(BOT_TOKEN);
    expect(post.args.channel).toBe('C0000001');
    expect(String(post.args.text)).toContain('<@UUSER001> asked for *imagine "a rocket ship"*');
    const metadata = JSON.parse(String(post.args.metadata)) as { event_type: string; event_payload: { job_id: string } };
    expect(metadata.event_type).toBe('diffuse_job');
    const jobId = metadata.event_payload.job_id;
    const status = fake.messagesOf('C0000001').find((m) => m.metadata?.event_payload.job_id === jobId)!;

    // The engine knows where the job is shown (so reactions and recovery work after a restart).
    const job = await h.engine.get(jobId);
    expect(job?.status).toBe('done');
    expect(job?.spec).toMatchObject({ technique: 'imagine', prompt: 'a rocket ship', seed: 3, steps: 4, guidance: 5 });
    expect(job?.owner).toMatchObject({ platform: 'slack', userId: 'UUSER001', channelRef: 'C0000001', messageRef: `C0000001:${status.ts}:${status.ts}` });

    // External upload flow: two upload URLs, two uploads with the bot token, one completion in the thread.
    const urls = fake.callsOf('files.getUploadURLExternal').map((c) => c.args);
    expect(urls.map((a) => a.filename).sort()).toEqual([`diffuse-${jobId}.gif`, `diffuse-${jobId}.png`]);
    const ids = (JSON.parse(String(complete.args.files)) as { id: string }[]).map((f) => f.id);
    expect(ids).toHaveLength(2);
    expect(complete.args.channel_id).toBe('C0000001');
    expect(complete.args.thread_ts).toBe(status.ts);
    const caption = String(complete.args.initial_comment);
    expect(caption).toContain('*imagine* "a rocket ship"');
    expect(caption).toContain('seed 3 · 4 steps · guidance 5 · test-tiny');
    expect(caption).toContain(`job \`${jobId}\``);

    const uploads = ids.map((id) => fake.uploads.get(id)!);
    for (const up of uploads) {
      expect(up.authorization).toBe(`Bearer ${BOT_TOKEN}`);
      expect(up.bytes!.length).toBe(up.length);
    }
    const png = uploads.find((u) => u.filename.endsWith('.png'))!;
    const gif = uploads.find((u) => u.filename.endsWith('.gif'))!;
    const pngMeta = await sharp(png.bytes!).metadata();
    expect(pngMeta.format).toBe('png');
    expect([pngMeta.width, pngMeta.height]).toEqual([128, 128]);
    const gifMeta = await sharp(gif.bytes!, { animated: true }).metadata();
    expect(gifMeta.format).toBe('gif');
    expect(gifMeta.pages).toBeGreaterThan(1);
    const pixels = await sharp(png.bytes!).raw().toBuffer();
    expect(new Set(pixels).size).toBeGreaterThan(8);

    // The status message was edited to its final state, and the result message sits in the thread.
    await fake.waitFor(() => fake.message('C0000001', status.ts)?.text.includes('Done in'), 10_000, 'the final status edit');
    const edits = fake.callsOf('chat.update').filter((c) => c.args.ts === status.ts);
    expect(edits.length).toBeGreaterThanOrEqual(1);
    expect(String(edits.at(-1)!.args.text)).toContain(':repeat:');
    const resultMsg = fake.messagesOf('C0000001').find((m) => m.files?.length === 2)!;
    expect(resultMsg.thread_ts).toBe(status.ts);
    expect(resultMsg.user).toBe(fake.botUserId);
  });

  it('answers /queue and /help through response_url, and explains /sketch', async () => {
    await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/queue', text: '', responseId: 'queue1' }), FORM);
    await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/help', text: '', responseId: 'help1' }), FORM);
    await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/sketch', text: 'a castle', responseId: 'sketch1' }), FORM);
    await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/imagine', text: 'a cat --seed lots', responseId: 'bad1' }), FORM);
    const byId = (id: string) => fake.waitFor(() => fake.responses.find((r) => r.id === id), 10_000, `response ${id}`);
    const queue = await byId('queue1');
    expect(queue.body).toMatchObject({ response_type: 'ephemeral', text: 'The queue is empty: a new job starts right away.' });
    const help = String((await byId('help1')).body.text);
    expect(help).toContain('*/imagine prompt [negative] [seed] [steps] [cfg] [sampler] [count] [prior] [private]*');
    expect(help).not.toContain('**');
    const sketch = String((await byId('sketch1')).body.text);
    expect(sketch).toContain('Diffuse this image');
    expect(sketch).toContain(`<@${fake.botUserId}> sketch a rocket ship`);
    const bad = String((await byId('bad1')).body.text);
    expect(bad).toContain('seed must be a number');
  });

  it('rejects a request signed with the wrong secret', async () => {
    const before = fake.calls.length;
    const body = slashCommandForm(fake, { command: '/imagine', text: 'a forged request' });
    const res = await postSigned(h.eventsUrl, body, FORM, { secret: 'not-the-secret' });
    expect(res.status).toBe(401);
    const tampered = await fetch(h.eventsUrl, {
      method: 'POST',
      body: body.replace('forged', 'tampered'),
      headers: (await import('./helpers.ts')).signedHeaders(body, { contentType: FORM }),
    });
    expect(tampered.status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.calls.slice(before).filter((c) => c.method === 'chat.postMessage')).toHaveLength(0);
  });

  it('rejects a correctly signed request older than 5 minutes', async () => {
    const before = fake.calls.length;
    const body = slashCommandForm(fake, { command: '/imagine', text: 'a replayed request' });
    const res = await postSigned(h.eventsUrl, body, FORM, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(res.status).toBe(401);
    const fresh = await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/queue', text: '' }), FORM, { timestamp: Math.floor(Date.now() / 1000) - 60 });
    expect(fresh.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.calls.slice(before).filter((c) => c.method === 'chat.postMessage')).toHaveLength(0);
  });

  it('never logs a token or the signing secret', async () => {
    const logs = h.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const s of SECRETS) expect(logs).not.toContain(s);
    expect(logs).not.toMatch(/xox[a-z]-\d/);
    for (const m of fake.messagesOf('C0000001')) for (const s of SECRETS) expect(m.text).not.toContain(s);
  });
});
