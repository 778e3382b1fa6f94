// What the model understood of a prompt is in the status message from the first post, before the
// job runs (the bundled model, which reads prompts word by word).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from './fake-slack.ts';
import { BOT_TOKEN, postSigned, slashCommandForm, startHarness, type Harness } from './helpers.ts';

const FORM = 'application/x-www-form-urlencoded';
const C = 'C0000051';

describe('Slack status message', () => {
  const fake = new FakeSlack({ botToken: BOT_TOKEN });
  let h: Harness;
  beforeAll(async () => {
    await fake.start();
    h = await startHarness(fake, { SLACK_MODE: 'http', MODEL: 'emoji' });
    // Loaded, and its words read once (the first question reads them): the first reply waits at most 2 s.
    await h.engine.modelInfo();
    await h.engine.understand('a rocket');
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await fake.stop();
  });

  it('says what the model understood and which words it does not know in its first post', async () => {
    await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/imagine', text: 'a zorblax rocket --steps 2 --seed 1', channel: C }), FORM);
    const post = await fake.waitFor(() => fake.callsOf('chat.postMessage').find((c) => c.args.channel === C), 30_000, 'the status post');
    expect(String(post.args.text)).toMatch(/understood: 🚀 rocket/);
    expect(String(post.args.text)).toContain('unknown words: zorblax');
    await fake.waitFor(() => fake.callsOf('files.completeUploadExternal').length > 0 || undefined, 60_000, 'the result');
  }, 90_000);
});
