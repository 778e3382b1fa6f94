// A result as an input on Slack (Bolt in HTTP mode against the local fake, real engine on the tiny
// model): `/sketch --job ID --candidate 2 ...` runs as a slash command on that candidate, without
// --job the slash command still explains how to start from an image (and names --job); an
// `@bot inpaint --job ID ...` mention in the thread of a posted mask uses the mask and the job's
// picture by reference.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitForJob } from '../../src/jobs/api.ts';
import { FakeSlack, type FakeMessage } from './fake-slack.ts';
import { BOT_TOKEN, eventCallback, postSigned, slashCommandForm, startHarness, testPng, type Harness } from './helpers.ts';

const FORM = 'application/x-www-form-urlencoded';
const C = 'C0000029';
const USER = 'UUSER061';
const fake = new FakeSlack({ botToken: BOT_TOKEN });
let h: Harness;

beforeAll(async () => {
  await fake.start();
  h = await startHarness(fake, { SLACK_MODE: 'http' }, { statusIntervalMs: 50 });
});
afterAll(async () => {
  await h?.close();
  await fake.stop();
});

const jobOf = (m: FakeMessage) => m.metadata?.event_payload.job_id as string | undefined;

/** The job of the status message posted after `known` ones, once it has finished. */
async function nextJob(known: Set<string>, what: string): Promise<string> {
  const status = await fake.waitFor(() => fake.messagesOf(C).find((m) => jobOf(m) && !known.has(jobOf(m)!)), 30_000, what);
  const id = jobOf(status)!;
  known.add(id);
  expect((await waitForJob(h.engine, id)).type).toBe('done');
  return id;
}

it('/sketch --job ID --candidate 2 runs on that candidate; /inpaint --job in the thread of a mask uses it', async () => {
  const parent = await h.engine.submit({ technique: 'imagine', prompt: 'rocket', steps: 2, count: 2, seed: 4 }, { platform: 'slack', userId: USER, channelRef: C });
  if (!parent.ok) throw new Error(parent.message);
  expect((await waitForJob(h.engine, parent.jobId)).type).toBe('done');
  const known = new Set<string>();

  // Without --job, the slash command says how to start from a posted image, and names --job.
  await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/sketch', text: 'a castle', channel: C, user: USER, responseId: 'howto1' }), FORM);
  const howTo = await fake.waitFor(() => fake.responses.find((x) => x.id === 'howto1'), 20_000, 'how-to reply');
  expect(JSON.stringify(howTo)).toContain('--job ID --candidate N');

  const res = await postSigned(
    h.eventsUrl,
    slashCommandForm(fake, { command: '/sketch', text: `--job ${parent.jobId} --candidate 2 a castle --steps 2`, channel: C, user: USER }),
    FORM,
  );
  expect(res.status).toBe(200);
  const sketch = await h.engine.get(await nextJob(known, 'the sketch'));
  expect(sketch).toMatchObject({
    parentId: parent.jobId,
    spec: { technique: 'sketch', prompt: 'a castle', source: { parent: parent.jobId, candidate: 2, count: 2, action: 'input' } },
  });
  expect(sketch!.spec.image).toBeUndefined();

  // A posted mask, then a mention in its thread: the mask is the thread's image, the picture the job's.
  const maskBytes = await testPng(64, 64);
  const file = fake.addFile({ name: 'mask.png', bytes: maskBytes });
  const post = fake.addUserMessage(C, { user: USER, files: [file] });
  const m = fake.addUserMessage(C, { user: USER, text: `<@${fake.botUserId}> inpaint --job ${parent.jobId} a cat --steps 2`, thread_ts: post.ts });
  await postSigned(h.eventsUrl, eventCallback(fake, { type: 'app_mention', user: USER, text: m.text, ts: m.ts, channel: C, thread_ts: post.ts }), 'application/json');
  const inpaint = await h.engine.get(await nextJob(known, 'the inpaint'));
  expect(inpaint).toMatchObject({
    parentId: parent.jobId,
    spec: {
      technique: 'inpaint',
      prompt: 'a cat',
      mask: createHash('sha256').update(maskBytes).digest('hex'),
      source: { parent: parent.jobId, candidate: 1, action: 'input' },
    },
  });
  expect(inpaint!.spec.image).toBeUndefined();
}, 120_000);
