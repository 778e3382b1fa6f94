// Model defaults through Slack (HTTP mode against the local fake on 127.0.0.1): an /imagine
// without --cfg on the emoji model runs at the model's guidance 3 and the caption in the thread
// says so; the stored spec keeps what the user typed.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeSlack } from './fake-slack.ts';
import { BOT_TOKEN, postSigned, slashCommandForm, startHarness, type Harness } from './helpers.ts';

const fake = new FakeSlack({ botToken: BOT_TOKEN });
let h: Harness;

beforeAll(async () => {
  await fake.start();
  h = await startHarness(fake, { SLACK_MODE: 'http', MODEL: 'emoji' });
});
afterAll(async () => {
  await h?.close();
  await fake.stop();
});

it('an /imagine without --cfg on the emoji model runs at guidance 3 and the caption says so', async () => {
  const body = slashCommandForm(fake, { command: '/imagine', text: 'a red heart --seed 6 --steps 2', channel: 'C0000001', user: 'UUSER001', responseId: 'defaults1' });
  expect((await postSigned(h.eventsUrl, body, 'application/x-www-form-urlencoded')).status).toBe(200);
  const complete = await fake.waitFor(() => fake.callsOf('files.completeUploadExternal')[0], 60_000, 'the upload to complete');
  expect(String(complete.args.initial_comment)).toContain('seed 6 · 2 steps · guidance 3 · emoji');
  const jobId = /job `([a-z0-9]+)`/.exec(String(complete.args.initial_comment))![1];
  const job = await h.engine.get(jobId);
  expect(job?.spec).not.toHaveProperty('guidance');
  expect(job?.result?.spec).toMatchObject({ guidance: 3, steps: 2 });
});
