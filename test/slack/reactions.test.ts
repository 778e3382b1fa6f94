// Reactions on results, through reaction_added events: :repeat: runs the job again with a new
// seed (also after the adapter restarted: the job is found from the message itself), :x:
// deletes a result for its requester or an admin only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack, type FakeMessage } from './fake-slack.ts';
import { BOT_TOKEN, eventCallback, postSigned, slashCommandForm, startHarness, type Harness } from './helpers.ts';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';
const C = 'C0000002';

describe('Slack adapter, reactions', () => {
  const fake = new FakeSlack({ botToken: BOT_TOKEN });
  let h: Harness;
  let job1 = '';
  let status1: FakeMessage;
  let result1: FakeMessage;

  const react = (user: string, reaction: string, ts: string) =>
    postSigned(h.eventsUrl, eventCallback(fake, { type: 'reaction_added', user, reaction, item: { type: 'message', channel: C, ts }, item_user: fake.botUserId }), JSON_TYPE);
  const jobOf = (m: FakeMessage) => m.metadata?.event_payload.job_id as string | undefined;

  beforeAll(async () => {
    await fake.start();
    h = await startHarness(fake, { SLACK_MODE: 'http' });
    await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/imagine', text: 'a cat --seed 7 --steps 3', channel: C, user: 'UUSER001' }), FORM);
    await fake.waitFor(() => fake.callsOf('files.completeUploadExternal').length === 1, 60_000, 'the first result');
    status1 = fake.messagesOf(C).find((m) => jobOf(m))!;
    job1 = jobOf(status1)!;
    // Slack shares uploaded files a moment after files.completeUploadExternal answers.
    result1 = await fake.waitFor(() => fake.messagesOf(C).find((m) => m.files?.length), 5_000, 'the shared result');
  });
  afterAll(async () => {
    await h?.close();
    await fake.stop();
  });

  it(':repeat: on a result, after a restart of the adapter, produces a second result with another seed', async () => {
    await h.restartBot();
    const res = await react('UUSER002', 'repeat', result1.ts);
    expect(res.status).toBe(200);
    await fake.waitFor(() => fake.callsOf('files.completeUploadExternal').length === 2, 60_000, 'the second result');
    await fake.waitFor(() => fake.messagesOf(C).filter((m) => m.files?.length).length === 2, 5_000, 'the second result shared');

    const status2 = fake.messagesOf(C).find((m) => jobOf(m) && jobOf(m) !== job1)!;
    const job2 = jobOf(status2)!;
    expect(status2.thread_ts).toBe(status1.ts);
    expect(status2.text).toContain('<@UUSER002> asked for *imagine "a cat"* (again with a new seed, from job ' + job1 + ')');
    const [r1, r2] = [await h.engine.get(job1), await h.engine.get(job2)];
    expect(r2?.parentId).toBe(job1);
    expect(r2?.spec).toMatchObject({ technique: 'imagine', prompt: 'a cat', steps: 3 });
    expect(r2?.spec.seed).not.toBe(r1?.spec.seed);
    expect(r1?.spec.seed).toBe(7);
    expect(r2?.owner.userId).toBe('UUSER002');

    const complete2 = fake.callsOf('files.completeUploadExternal')[1];
    expect(complete2.args.thread_ts).toBe(status1.ts);
    expect(String(complete2.args.initial_comment)).toContain(`seed ${r2!.spec.seed} · 3 steps`);
    expect(String(complete2.args.initial_comment)).toContain(`again with a new seed, from job ${job1}`);
    const names = fake.callsOf('files.getUploadURLExternal').map((c) => c.args.filename);
    expect(names).toContain(`diffuse-${job2}.png`);
  });

  it('ignores other reactions and reactions on messages that are not results', async () => {
    // The previous job's last status edit comes up to 1.5 s (the status throttle) after its upload: start once
    // the fake has been quiet for longer than that.
    for (let seen = -1; seen !== fake.calls.length; ) {
      seen = fake.calls.length;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const before = fake.calls.length;
    await react('UUSER001', 'thumbsup', result1.ts);
    const plain = fake.addUserMessage(C, { user: 'UUSER003', text: 'just chatting' });
    await postSigned(h.eventsUrl, eventCallback(fake, { type: 'reaction_added', user: 'UUSER001', reaction: 'repeat', item: { type: 'message', channel: C, ts: plain.ts }, item_user: 'UUSER003' }), JSON_TYPE);
    await new Promise((r) => setTimeout(r, 300));
    const after = fake.calls.slice(before).map((c) => c.method);
    expect(after.filter((m) => m !== 'auth.test')).toEqual([]);
  });

  it(':x: by someone else is refused; by the requester it deletes the result files and messages', async () => {
    const filesBefore = result1.files!.map((f) => f.id);
    await react('UUSER002', 'x', result1.ts);
    const refusal = await fake.waitFor(() => fake.callsOf('chat.postEphemeral').find((c) => c.args.user === 'UUSER002'), 10_000, 'the refusal');
    expect(String(refusal.args.text)).toContain(`Only <@UUSER001> (who asked for it) or an admin can delete job \`${job1}\``);
    expect(fake.callsOf('files.delete')).toHaveLength(0);

    await react('UUSER001', 'x', status1.ts);
    await fake.waitFor(() => fake.callsOf('chat.delete').length >= 2, 10_000, 'the deletion');
    expect(fake.callsOf('files.delete').map((c) => c.args.file).sort()).toEqual([...filesBefore].sort());
    expect(fake.message(C, status1.ts)).toBeUndefined();
    expect(fake.message(C, result1.ts)).toBeUndefined();
    // The regenerated job's result is untouched.
    expect(fake.messagesOf(C).filter((m) => m.files?.length)).toHaveLength(1);
  });

  it(':x: by an admin (ADMIN_USER_IDS) deletes anyone\'s result', async () => {
    const result2 = fake.messagesOf(C).find((m) => m.files?.length)!;
    await react('UADMIN01', 'x', result2.ts);
    await fake.waitFor(() => fake.messagesOf(C).every((m) => !m.files?.length), 10_000, 'the admin deletion');
    expect(fake.callsOf('files.delete')).toHaveLength(4);
  });
});
