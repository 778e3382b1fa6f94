// Model defaults through Discord (real discord.js against the local fake on 127.0.0.1): an
// /imagine without cfg on the emoji model runs at the model's guidance 3 and its caption says so;
// /model and /help show the engine's effective defaults.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FakeDiscord, RecordedRequest } from './fake-discord.ts';
import { startDiscordHarness, type DiscordHarness } from './harness.ts';

let h: DiscordHarness;
let fake: FakeDiscord;

beforeAll(async () => {
  h = await startDiscordHarness({ MODEL: 'emoji' });
  ({ fake } = h);
});

afterAll(async () => {
  await h?.close();
});

const content = (r: RecordedRequest) => String(r.json?.content ?? '');
const edit = (token: string) => (r: RecordedRequest) => r.method === 'PATCH' && r.path.endsWith(`/${token}/messages/@original`);
const finalEdit = (token: string) => (r: RecordedRequest) => edit(token)(r) && r.files.some((f) => f.filename.endsWith('.png') && f.filename !== 'preview.png');

it('an /imagine without cfg on the emoji model runs at guidance 3 and the caption says so', async () => {
  const cmd = fake.sendCommand({ name: 'imagine', options: { prompt: 'a red heart', seed: 9, steps: 2 }, userId: '200000000000000001' });
  const final = await fake.waitForRequest(finalEdit(cmd.token), 60_000, 'final upload');
  expect(content(final)).toContain('seed 9 · 2 steps · guidance 3 · emoji');
});

it('/model and /help name the model defaults the engine reports', async () => {
  const model = fake.sendCommand({ name: 'model', userId: '200000000000000002' });
  const modelReply = await fake.waitForRequest((r) => edit(model.token)(r) && content(r).includes('Defaults'), 30_000, '/model reply');
  expect(content(modelReply)).toContain('Defaults: 33 steps, guidance 3, sketch noise level 10.');
  expect(content(modelReply)).toContain('Sampler: ddpm: strided DDPM');
  const help = fake.sendCommand({ name: 'help', options: { command: 'imagine' }, userId: '200000000000000002' });
  const helpReply = await fake.waitForRequest(edit(help.token), 30_000, '/help reply');
  expect(content(helpReply)).toContain("(default: the model's, 3 for emoji)");
  await h.adapter.idle();
});
