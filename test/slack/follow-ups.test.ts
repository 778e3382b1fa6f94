// Follow-up buttons on Slack (Block Kit actions through Bolt's app.action, HTTP mode against the
// local fake): a 2-candidate /imagine's status message carries U/V rows and 🔁 with stateless
// action ids; pressing U2 runs a job from candidate 2 in the same thread, naming its parent; a
// button of the old message still works after the bot restarts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack, type FakeMessage } from './fake-slack.ts';
import {
  BOT_TOKEN,
  buttonPressForm,
  postSigned,
  slashCommandForm,
  startHarness,
  type Harness,
} from './helpers.ts';

const FORM = 'application/x-www-form-urlencoded';
const C = 'C0000017';

describe('Slack follow-up buttons', () => {
  const fake = new FakeSlack({ botToken: BOT_TOKEN });
  let h: Harness;
  let status: FakeMessage;
  let jobId = '';

  const jobOf = (m: FakeMessage) => m.metadata?.event_payload.job_id as string | undefined;
  const uploads = () => fake.callsOf('files.completeUploadExternal').length;
  /** Presses a button (block_actions) on the status message as `user`. */
  const press = (actionId: string, user: string) =>
    postSigned(
      h.eventsUrl,
      buttonPressForm({
        teamId: fake.teamId,
        user,
        channel: C,
        ts: status.ts,
        text: status.text,
        actionId,
        triggerId: 'trig.follow',
      }),
      FORM,
    );

  beforeAll(async () => {
    await fake.start();
    h = await startHarness(fake, { SLACK_MODE: 'http' });
  });
  afterAll(async () => {
    await h?.close();
    await fake.stop();
  });

  it('a 2-candidate /imagine ends with U1 U2 / V1 V2 / 🔁 buttons whose ids name the job', async () => {
    await postSigned(
      h.eventsUrl,
      slashCommandForm(fake, {
        command: '/imagine',
        text: 'a cat --seed 9 --steps 3 --count 2',
        channel: C,
        user: 'UUSER001',
      }),
      FORM,
    );
    await fake.waitFor(() => uploads() === 1, 60_000, 'the grid result');
    status = fake.messagesOf(C).find((m) => jobOf(m))!;
    jobId = jobOf(status)!;
    const complete = fake.callsOf('files.completeUploadExternal')[0];
    expect(String(complete.args.initial_comment)).toContain('2 candidates, seeds 9, 10');
    const withBlocks = await fake.waitFor(
      () => fake.callsOf('chat.update').find((c) => c.args.ts === status.ts && c.args.blocks),
      10_000,
      'the final status with buttons',
    );
    const raw = withBlocks.args.blocks;
    const blocks = (typeof raw === 'string' ? JSON.parse(raw) : raw) as {
      type: string;
      elements?: { action_id: string; text: { text: string } }[];
    }[];
    const rows = blocks
      .filter((b) => b.type === 'actions')
      .map((b) => b.elements!.map((e) => [e.text.text, e.action_id]));
    expect(rows).toEqual([
      [
        ['U1', `act:${jobId}:u:1`],
        ['U2', `act:${jobId}:u:2`],
      ],
      [
        ['V1', `act:${jobId}:vt:1`],
        ['V2', `act:${jobId}:vt:2`],
      ],
      [
        ['🔁', `act:${jobId}:re:1`],
        ['ℹ️ Info', `info:${jobId}`],
      ],
    ]);
  });

  it('Info answers the job\'s /info to the presser only (an ephemeral message in the thread)', async () => {
    const before = fake.ephemerals.length;
    expect((await press(`info:${jobId}`, 'UUSER003')).status).toBe(200);
    const note = await fake.waitFor(() => fake.ephemerals.slice(before).find((e) => e.user === 'UUSER003'), 10_000, 'the /info reply');
    expect(note.channel).toBe(C);
    expect(note.text).toContain(`Job \`${jobId}\`: imagine, done`);
    expect(note.text).toContain('seeds 9, 10');
  });

  it('U2 runs a job from candidate 2 in the thread, naming its parent', async () => {
    expect((await press(`act:${jobId}:u:2`, 'UUSER002')).status).toBe(200);
    await fake.waitFor(() => uploads() === 2, 60_000, 'the U2 result');
    const u2Status = fake.messagesOf(C).find((m) => jobOf(m) && jobOf(m) !== jobId)!;
    expect(u2Status.thread_ts).toBe(status.ts);
    expect(u2Status.text).toContain(`(U2 of job ${jobId})`);
    const u2 = await h.engine.get(jobOf(u2Status)!);
    expect(u2?.spec).toMatchObject({
      technique: 'sketch',
      prompt: 'a cat',
      seed: 10,
      from: { jobId, action: 'U2' },
    });
    expect(u2?.owner.userId).toBe('UUSER002');
    expect(String(fake.callsOf('files.completeUploadExternal')[1].args.initial_comment)).toContain(
      `U2 of job \`${jobId}\``,
    );
  });

  it('after a restart, 🔁 on the old message rerolls the whole job', async () => {
    await h.restartBot();
    expect((await press(`act:${jobId}:re:1`, 'UUSER001')).status).toBe(200);
    await fake.waitFor(() => uploads() === 3, 60_000, 'the reroll');
    const ids = fake.messagesOf(C).map(jobOf).filter(Boolean);
    const reroll = await h.engine.get(ids.at(-1)!);
    expect(reroll?.spec).toMatchObject({ technique: 'imagine', count: 2, from: { jobId, action: 'reroll' } });
    expect(reroll?.parentId).toBe(jobId);
  });
});
