// Private jobs on Slack (Bolt in HTTP mode against the local fake, real engine on the tiny model):
// /info of another user's private job answers "not found" (its owner and an admin see it), and a
// forged follow-up action id (act:<id>:u:1, act:<id>:re:1) on it starts nothing and tells the
// presser only that the job is not found; the private prompt is posted nowhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForJob } from '../../src/jobs/api.ts';
import { FakeSlack } from './fake-slack.ts';
import { BOT_TOKEN, buttonPressForm, postSigned, slashCommandForm, startHarness, type Harness } from './helpers.ts';

const FORM = 'application/x-www-form-urlencoded';
const C = 'C0000029';
const OWNER = 'UOWNER01';
const OTHER = 'UOTHER01';
const ADMIN = 'UADMIN01'; // ADMIN_USER_IDS of the test config
const PROMPT = 'a secret lighthouse';

describe('private jobs on Slack', () => {
  const fake = new FakeSlack({ botToken: BOT_TOKEN });
  let h: Harness;
  let jobId = '';

  beforeAll(async () => {
    await fake.start();
    h = await startHarness(fake, { SLACK_MODE: 'http' });
    const r = await h.engine.submit(
      { technique: 'imagine', prompt: PROMPT, steps: 3, seed: 4 },
      { platform: 'slack', userId: OWNER, channelRef: C, private: true },
    );
    if (!r.ok) throw new Error(r.message);
    jobId = r.jobId;
    expect((await waitForJob(h.engine, jobId)).type).toBe('done');
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await fake.stop();
  });

  /** Runs /info <jobId> as `user` and returns the reply's text. */
  async function info(user: string, responseId: string): Promise<string> {
    const res = await postSigned(
      h.eventsUrl,
      slashCommandForm(fake, { command: '/info', text: jobId, channel: C, user, responseId }),
      FORM,
    );
    expect(res.status).toBe(200);
    const reply = await fake.waitFor(() => fake.responses.find((x) => x.id === responseId), 20_000, '/info reply');
    return String(reply.body.text);
  }

  it('stores the job as private', async () => {
    expect((await h.engine.get(jobId))?.owner).toMatchObject({ userId: OWNER, private: true });
  });

  it('/info answers "not found" to another user, and shows the job to its owner and to an admin', async () => {
    const other = await info(OTHER, 'rinfo-other');
    expect(other).toContain(`I can't find job ${jobId}.`);
    expect(other).not.toContain('lighthouse');
    expect(await info(OWNER, 'rinfo-owner')).toContain(`prompt "${PROMPT}"`);
    expect(await info(ADMIN, 'rinfo-admin')).toContain(`prompt "${PROMPT}"`);
  });

  it('a forged follow-up action id on it starts no job and posts no prompt', async () => {
    const before = h.engine.store.children(jobId).length;
    for (const [n, actionId] of [`act:${jobId}:u:1`, `act:${jobId}:re:1`, `act:${jobId}:vs:1`].entries()) {
      const res = await postSigned(
        h.eventsUrl,
        buttonPressForm({
          teamId: fake.teamId,
          user: OTHER,
          channel: C,
          ts: '1700000000.000100',
          text: 'any message',
          actionId,
          triggerId: `trig.forged${n}`,
        }),
        FORM,
      );
      expect(res.status).toBe(200);
      const told = await fake.waitFor(
        () => fake.callsOf('chat.postEphemeral').filter((c) => c.args.user === OTHER)[n],
        10_000,
        `the answer to ${actionId}`,
      );
      expect(told.args.text).toBe(`:warning: I can't find job ${jobId}.`);
    }
    expect(h.engine.store.children(jobId).length).toBe(before);
    expect(await h.engine.listQueue()).toEqual([]);
    const posted = JSON.stringify([fake.messagesOf(C), fake.calls]);
    expect(posted).not.toContain('lighthouse');
  });
});
