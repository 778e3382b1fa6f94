// A job that is waiting while the adapter restarts keeps its status message: the new adapter
// finds it in the engine's queue (owner.messageRef = "channel:ts:threadRoot") and finishes
// the flow, uploading into the original thread.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from './fake-slack.ts';
import { BOT_TOKEN, startHarness, type Harness } from './helpers.ts';

const C = 'C0000005';

describe('Slack adapter, restart while a job waits', () => {
  const fake = new FakeSlack({ botToken: BOT_TOKEN });
  let h: Harness;

  beforeAll(async () => {
    await fake.start();
    h = await startHarness(fake, { SLACK_MODE: 'http', USER_MAX_PENDING: '5' });
  });
  afterAll(async () => {
    await h?.close();
    await fake.stop();
  });

  it('resumes the status flow of a queued Slack job after the adapter restarts', async () => {
    const blocker = await h.engine.submit({ technique: 'imagine', prompt: 'a long job', steps: 100 }, { platform: 'cli', userId: 'someone' });
    expect(blocker.ok).toBe(true);
    const status = fake.addUserMessage(C, { user: fake.botUserId, text: 'status' });
    const ref = `${C}:${status.ts}:${status.ts}`;
    const job = await h.engine.submit({ technique: 'imagine', prompt: 'a kite', steps: 2, seed: 4 }, { platform: 'slack', userId: 'UUSER001', channelRef: C, messageRef: ref });
    expect(job.ok && job.position).toBe(1);

    await h.restartBot();
    if (blocker.ok) await h.engine.cancel(blocker.jobId, { userId: 'someone', isAdmin: true });

    const complete = await fake.waitFor(() => fake.callsOf('files.completeUploadExternal')[0], 60_000, 'the resumed upload');
    expect(complete.args.thread_ts).toBe(status.ts);
    expect(String(complete.args.initial_comment)).toContain('*imagine* "a kite"');
    await fake.waitFor(() => fake.message(C, status.ts)?.text.includes('Done in'), 10_000, 'the final status edit');
    expect(fake.message(C, status.ts)?.text).toContain('<@UUSER001> asked for *imagine "a kite"*');
  });
});
