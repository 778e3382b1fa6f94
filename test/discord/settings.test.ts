// /settings, private replies, content rules and /info through Discord (real discord.js against the
// local fake on 127.0.0.1, tiny model): a user's and the server's defaults change the next job,
// an explicit option still wins, private jobs are deferred ephemeral, a banned word is refused on
// /imagine and on a regeneration, and /info prints a `diffuse` line that redraws the same bytes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitShellWords } from '../../commands/command-line.ts';
import { CONTENT_REFUSAL } from '../../src/engine/content-rules.ts';
import { MODELS_DIR, runCli, tempDir } from '../cli/helpers.ts';
import type { FakeDiscord, RecordedRequest } from './fake-discord.ts';
import { startDiscordHarness, type DiscordHarness } from './harness.ts';

let h: DiscordHarness;
let fake: FakeDiscord;

beforeAll(async () => {
  h = await startDiscordHarness();
  ({ fake } = h);
});

afterAll(async () => {
  await h?.close();
});

const USER = '300000000000000001';
const OTHER = '300000000000000002';
const ADMIN = '300000000000000003';
/** Manage Server (0x20) plus the default permissions of the fake. */
const MANAGE_GUILD = String(2147483648 + 32);

const content = (r: RecordedRequest) => String(r.json?.content ?? '');
const edit = (token: string) => (r: RecordedRequest) => r.method === 'PATCH' && r.path.endsWith(`/${token}/messages/@original`);
const deferOf = (id: string) => (r: RecordedRequest) => r.method === 'POST' && r.path.startsWith(`/interactions/${id}/`);
/** Discord's EPHEMERAL message flag, and the flags of an interaction callback. */
const EPHEMERAL = 64;
const flagsOf = (r: RecordedRequest) => Number((r.json?.data as { flags?: number } | undefined)?.flags ?? 0);
const finalEdit = (token: string) => (r: RecordedRequest) => edit(token)(r) && r.files.some((f) => f.filename.endsWith('.png') && f.filename !== 'preview.png');

/** Runs a text command and returns its (ephemeral) reply text. */
async function reply(name: string, options: Record<string, string | number | boolean>, userId: string, permissions?: string): Promise<string> {
  const cmd = fake.sendCommand({ name, options, userId, ...(permissions ? { permissions } : {}) });
  return content(await fake.waitForRequest(edit(cmd.token), 30_000, `/${name} reply`));
}

/** The newest job of a user, as stored. */
function latestJob(userId: string): { id: string; spec: Record<string, unknown> } {
  const row = h.engine.store.db.prepare('SELECT id, spec FROM jobs WHERE user_id = ? ORDER BY seq DESC LIMIT 1').get(userId) as { id: string; spec: string };
  return { id: row.id, spec: JSON.parse(row.spec) as Record<string, unknown> };
}

describe('settings', () => {
  it("a user's and the server's defaults change the next job; an option given still wins; only admins set the server's", async () => {
    expect(await reply('settings', { steps: 2, sampler: 'ddim' }, USER)).toContain('Saved. Your settings are updated.');
    expect(await reply('settings', { scope: 'server', cfg: 1.5 }, OTHER)).toContain("Only the server's admins");
    expect(await reply('settings', { scope: 'server', cfg: 1.5, steps: 3 }, ADMIN, MANAGE_GUILD)).toContain("This server's settings are updated");

    const shown = await reply('settings', {}, USER);
    expect(shown).toContain('Your defaults: steps 2, sampler ddim');
    expect(shown).toContain('Next job: model test-tiny (configured), cfg 1.5 (server), steps 2 (yours), sampler ddim (yours)');

    const a = fake.sendCommand({ name: 'imagine', options: { prompt: 'a ship', seed: 4 }, userId: USER });
    await fake.waitForRequest(finalEdit(a.token), 60_000, 'first job');
    expect(latestJob(USER).spec).toMatchObject({ steps: 2, sampler: 'ddim', guidance: 1.5 });
    const b = fake.sendCommand({ name: 'imagine', options: { prompt: 'a ship', seed: 4, steps: 1 }, userId: OTHER });
    await fake.waitForRequest(finalEdit(b.token), 60_000, 'second job');
    expect(latestJob(OTHER).spec).toMatchObject({ steps: 1, guidance: 1.5 });
    expect(latestJob(OTHER).spec.sampler).toBeUndefined();
    await h.adapter.idle();
  });

  it('private replies: the option, then the user setting, defer the reply as ephemeral', async () => {
    const pub = fake.sendCommand({ name: 'imagine', options: { prompt: 'a cat', steps: 1 }, userId: OTHER });
    expect(flagsOf(await fake.waitForRequest(deferOf(pub.id), 10_000, 'defer')) & EPHEMERAL).toBe(0);
    const priv = fake.sendCommand({ name: 'imagine', options: { prompt: 'a cat', steps: 1, private: true }, userId: OTHER });
    expect(flagsOf(await fake.waitForRequest(deferOf(priv.id), 10_000, 'defer')) & EPHEMERAL).toBe(EPHEMERAL);
    await fake.waitForRequest(finalEdit(pub.token), 60_000, 'public result');
    await fake.waitForRequest(finalEdit(priv.token), 60_000, 'private result');
    expect(await reply('settings', { private: true }, OTHER)).toContain('private replies on');
    const bySetting = fake.sendCommand({ name: 'imagine', options: { prompt: 'a cat', steps: 1 }, userId: OTHER });
    expect(flagsOf(await fake.waitForRequest(deferOf(bySetting.id), 10_000, 'defer')) & EPHEMERAL).toBe(EPHEMERAL);
    const final = await fake.waitForRequest(finalEdit(bySetting.token), 60_000, 'private result');
    expect(final.files.some((f) => f.filename.endsWith('.png'))).toBe(true);
    // A new seed of a private result stays private, even once its owner has turned the setting off.
    const privJob = /diffuse:regen:([a-z0-9]+)/.exec(JSON.stringify(fake.messages.get(priv.originalId!)))![1];
    expect((await h.engine.get(privJob))?.owner.userId).toBe(OTHER);
    expect(await reply('settings', { private: false }, OTHER)).toContain('private replies off');
    const again = fake.sendButton({ customId: `diffuse:regen:${privJob}`, messageId: priv.originalId!, userId: OTHER });
    expect(flagsOf(await fake.waitForRequest(deferOf(again.id), 10_000, 'button defer')) & EPHEMERAL).toBe(EPHEMERAL);
    await fake.waitForRequest(finalEdit(again.token), 60_000, 'private regeneration');
    // Anyone else is told it is not found, and nothing starts.
    const before = (await h.engine.store.children(privJob)).length;
    const stranger = fake.sendButton({ customId: `diffuse:regen:${privJob}`, messageId: priv.originalId!, userId: '300000000000000007' });
    const answer = await fake.waitForRequest(
      (r) => r.method === 'PATCH' && r.path.endsWith(`/${stranger.token}/messages/@original`),
      30_000,
      'the answer to a stranger',
    );
    expect(content(answer)).toContain(`I can't find job ${privJob}.`);
    expect((await h.engine.store.children(privJob)).length).toBe(before);
    await h.adapter.idle();
  });

  it('a banned word set by an admin is refused on /imagine and on a 🔁 of an older job, naming no rule', async () => {
    const old = fake.sendCommand({ name: 'imagine', options: { prompt: 'a blue zorblax', steps: 1 }, userId: USER });
    await fake.waitForRequest(finalEdit(old.token), 60_000, 'job before the rule');
    expect(await reply('settings', { scope: 'server', banned: 'zorblax, baddword' }, USER)).toContain("Only the server's admins");
    // Chat takes words and phrases only: a /pattern/ belongs in the bot's configuration.
    expect(await reply('settings', { scope: 'server', banned: 'zorblax, /((a+))+$/' }, ADMIN, MANAGE_GUILD)).toContain('/((a+))+$/ is a pattern: lists set here take plain words and phrases only');
    expect(await reply('settings', { scope: 'server', banned: 'zorblax, baddword' }, ADMIN, MANAGE_GUILD)).toContain('Server list (admins only): zorblax, baddword');
    const refused = await reply('imagine', { prompt: 'a ZORBLAX at sea' }, OTHER);
    expect(refused).toBe(`⚠️ ${CONTENT_REFUSAL}`);
    expect(await reply('imagine', { prompt: 'a ship', negative: 'bad baddword' }, OTHER)).toBe(`⚠️ ${CONTENT_REFUSAL}`);
    // 🔁 on the older result (its New seed button): the same prompt, checked again now.
    const oldJob = latestJob(USER);
    expect(oldJob.spec.prompt).toBe('a blue zorblax');
    const button = fake.sendButton({ customId: `diffuse:regen:${oldJob.id}`, messageId: old.originalId!, userId: OTHER });
    const answer = await fake.waitForRequest((r) => edit(button.token)(r) && content(r).includes('⚠️'), 30_000, 'regenerate refusal');
    expect(content(answer)).toBe(`⚠️ ${CONTENT_REFUSAL}`);
    expect(latestJob(OTHER).spec.prompt).not.toContain('zorblax');
    await h.adapter.idle();
  });
});

describe('/info', () => {
  it('prints every parameter, the lineage and a diffuse line that redraws the same PNG', async () => {
    const userId = '300000000000000009';
    const cmd = fake.sendCommand({ name: 'imagine', options: { prompt: "a rocket's ship", seed: 11, steps: 2, cfg: 2 }, userId });
    await fake.waitForRequest(finalEdit(cmd.token), 60_000, 'job');
    const { id } = latestJob(userId);
    const text = await reply('info', { job: id }, userId);
    expect(text).toContain(`Job \`${id}\`: imagine, done`);
    expect(text).toContain('Model: test-tiny');
    expect(text).toContain('seed 11; steps 2; cfg 2; sampler ddpm');
    expect(text).toContain('Lineage: an original job');
    expect(text).toMatch(/Timings: asked \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC; waited .+, ran .+ \(model .+, \d+ ms per step, 2 UNet calls\)/);
    const line = /```\n(diffuse .+)\n```/.exec(text)?.[1];
    expect(line).toBe(`diffuse imagine --seed 11 --steps 2 --cfg 2 --sampler ddpm --model test-tiny 'a rocket'\\''s ship'`);

    // The same text from the Job info action on the result message (right-click, Apps), to the caller only.
    const action = fake.sendMessageAction({ name: 'Job info', messageId: cmd.originalId!, userId: '300000000000000008' });
    const deferred = await fake.waitForRequest(deferOf(action.id), 10_000, 'Job info defer');
    expect(flagsOf(deferred) & EPHEMERAL).toBe(EPHEMERAL);
    const shown = content(await fake.waitForRequest(edit(action.token), 30_000, 'Job info reply'));
    expect(shown).toContain(`Job \`${id}\`: imagine, done`);
    expect(shown).toContain(line!);

    const rec = await h.engine.get(id);
    const { dir, cleanup } = tempDir();
    try {
      const out = path.join(dir, 'again.png');
      const words = splitShellWords(line!);
      expect(words.slice(0, 2)).toEqual(['diffuse', 'imagine']);
      const run = await runCli([...words.slice(1), '-o', out], dir, { MODELS_DIR, DISPLAY_SIZE: String(h.engine.config.displaySize), GIF_SIZE: String(h.engine.config.gifSize) });
      expect(run.code, run.stderr).toBe(0);
      expect(readFileSync(out).equals(readFileSync(rec!.result!.files.png))).toBe(true);
    } finally {
      cleanup();
    }
  });
});
