// Model defaults through Discord (real discord.js against the local fake on 127.0.0.1): an
// /imagine without cfg on the emoji model runs at the model's guidance 3 and its caption says so;
// /model and /help show the engine's effective defaults.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DiscordAdapter } from '../../src/adapters/discord/index.ts';
import { createEngine, type LocalEngine } from '../../src/engine/index.ts';
import { testConfig } from '../engine/helpers.ts';
import { FakeDiscord, type RecordedRequest } from './fake-discord.ts';

let fake: FakeDiscord;
let engine: LocalEngine;
let adapter: DiscordAdapter;

beforeAll(async () => {
  fake = new FakeDiscord({ heartbeatIntervalMs: 400 });
  await fake.start();
  const config = testConfig({
    MODEL: 'emoji',
    DISCORD_TOKEN: fake.token,
    DISCORD_APP_ID: fake.appId,
    DISCORD_API_BASE: fake.apiBase,
  });
  engine = createEngine(config, { defaultMetrics: false });
  await engine.start();
  adapter = new DiscordAdapter(engine, config, { minEditIntervalMs: 50 });
  await adapter.start();
  await adapter.ready();
});

afterAll(async () => {
  await adapter?.stop();
  await engine?.close();
  await fake?.close();
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
  const help = fake.sendCommand({ name: 'help', options: { command: 'imagine' }, userId: '200000000000000002' });
  const helpReply = await fake.waitForRequest(edit(help.token), 30_000, '/help reply');
  expect(content(helpReply)).toContain("(default: the model's, 3 for emoji)");
  await adapter.idle();
});
