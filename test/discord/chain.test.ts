// The whole follow-up chain on Discord (real discord.js against the local fake, real engine on the
// tiny model): /imagine with 4 candidates → the U2 button of its message → Vary (subtle) on that
// result → Zoom out 2x on that one → /info on the last job: each job names its parent, the
// lineage lists the chain, and the `diffuse ...` line (the parent's raw result by path, and how the
// last job follows it up) redraws the same PNG bytes through the real CLI on the bot's DATA_DIR.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { resultPathWord, splitShellWords } from '../../commands/command-line.ts';
import { MODELS_DIR, runCli, tempDir } from '../cli/helpers.ts';
import type { FakeDiscord, RecordedRequest } from './fake-discord.ts';
import { startDiscordHarness, type DiscordHarness } from './harness.ts';

let h: DiscordHarness;
const USER = '200000000000000051';

beforeAll(async () => {
  h = await startDiscordHarness();
});
afterAll(async () => {
  await h?.close();
});

const content = (r: RecordedRequest) => String(r.json?.content ?? '');
const edit = (token: string) => (r: RecordedRequest) => r.method === 'PATCH' && r.path.endsWith(`/${token}/messages/@original`);
const finalEdit = (token: string) => (r: RecordedRequest) => edit(token)(r) && r.files.some((f) => f.filename.endsWith('.png') && f.filename !== 'preview.png');

/** A finished result: its job id, caption, buttons (label → custom id) and the message they are on. */
interface Result {
  jobId: string;
  caption: string;
  buttons: Map<string, string>;
  messageId: string;
}

async function resultOf(it: ReturnType<FakeDiscord['sendButton']>, what: string): Promise<Result> {
  const final = await h.fake.waitForRequest(finalEdit(it.token), 60_000, what);
  const rows = final.json?.components as { components: { label: string; custom_id: string }[] }[];
  return {
    jobId: /job `([a-z0-9]+)`/.exec(content(final))![1],
    caption: content(final),
    buttons: new Map(rows.flatMap((r) => r.components.map((b) => [b.label, b.custom_id] as const))),
    messageId: it.originalId!,
  };
}

/** Clicks the button labelled `label` on a result's message and waits for the new result. */
async function press(r: Result, label: string): Promise<Result> {
  const customId = r.buttons.get(label);
  expect(customId, `button ${label} of ${r.jobId}`).toBeDefined();
  return resultOf(h.fake.sendButton({ customId: customId!, messageId: r.messageId, userId: USER }), label);
}

/** Four jobs one after another (and a CLI run): room beyond the 60 s default on a loaded 2-core machine. */
const CHAIN_TIMEOUT_MS = 180_000;

it('/imagine (4) → U2 → V (subtle) → zoom out 2x → /info names the chain and the last job\'s command line', async () => {
  const grid = await resultOf(h.fake.sendCommand({ name: 'imagine', options: { prompt: 'a lighthouse', steps: 3, seed: 5, count: 4 }, userId: USER }), 'grid');
  expect(grid.caption).toContain('4 candidates, seeds 5, 6, 7, 8');

  const u2 = await press(grid, 'U2');
  expect(u2.caption).toContain(`U2 of job \`${grid.jobId}\``);
  const vary = await press(u2, 'Vary (subtle)');
  expect(vary.caption).toContain(`V1 subtle of job \`${u2.jobId}\``);
  const zoom = await press(vary, 'Zoom out 2x');
  expect(zoom.caption).toContain(`zoom out 2x of job \`${vary.jobId}\``);
  const last = await h.engine.get(zoom.jobId);
  expect(last?.spec).toMatchObject({ technique: 'inpaint', prompt: 'a lighthouse', from: { jobId: vary.jobId, action: 'zoom out 2x' } });
  expect(last?.parentId).toBe(vary.jobId);

  const cmd = h.fake.sendCommand({ name: 'info', options: { job: zoom.jobId }, userId: USER });
  const info = content(await h.fake.waitForRequest(edit(cmd.token), 30_000, '/info reply'));
  expect(info).toContain(`Job \`${zoom.jobId}\`: inpaint, done`);
  expect(info).toContain(`Lineage: zoom out 2x of \`${vary.jobId}\` ← V1 subtle of \`${u2.jobId}\` ← U2 of \`${grid.jobId}\``);
  const line = /```\n(diffuse .+)\n```/.exec(info)?.[1];
  expect(line, info).toMatch(/^diffuse inpaint /);
  expect(line).toContain(' --follow-up zo2 ');
  expect(line).not.toContain('--mask');
  expect(line).toContain(`--seed ${last!.spec.seed} `);
  expect(line!.endsWith(` ${resultPathWord(vary.jobId)} 'a lighthouse'`)).toBe(true);

  const { config } = h.engine;
  const { dir, cleanup } = tempDir();
  try {
    const out = path.join(dir, 'again.png');
    const words = splitShellWords(line!, { DATA_DIR: config.dataDir });
    const run = await runCli([...words.slice(1), '-o', out], dir, { MODELS_DIR, DISPLAY_SIZE: String(config.displaySize), GIF_SIZE: String(config.gifSize) });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(out).equals(readFileSync(last!.result!.files.png))).toBe(true);
  } finally {
    cleanup();
  }
}, CHAIN_TIMEOUT_MS);
