// What the model understood of a prompt is in the first reply, before the job runs: the queued or
// progress message under the title says it (on the bundled model, which reads prompts word by word).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDiscordHarness, type DiscordHarness } from './harness.ts';

let h: DiscordHarness;
beforeAll(async () => {
  h = await startDiscordHarness({ MODEL: 'emoji' });
  // Loaded, and its words read once (the first question reads them): the first reply waits at most 2 s.
  await h.engine.modelInfo();
  await h.engine.understand('a rocket');
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('the first reply of a job', () => {
  it('says what the model understood and which words it does not know, before the result', async () => {
    const cmd = h.fake.sendCommand({ name: 'imagine', options: { prompt: 'a zorblax rocket', steps: 2, seed: 1 }, userId: '200000000000000001' });
    const edits = () => h.fake.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/${cmd.token}/messages/@original`));
    const first = await h.fake.waitForRequest((r) => edits().includes(r), 30_000, 'the first status');
    const text = String(first.json?.content);
    expect(text).toMatch(/understood: 🚀 rocket/);
    expect(text).toContain('unknown words: zorblax');
    expect(first.files.some((f) => f.filename.endsWith('.gif'))).toBe(false);
    await h.adapter.idle();
  }, 60_000);
});
