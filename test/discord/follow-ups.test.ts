// Candidates and follow-up buttons on Discord (real discord.js against the local fake, real engine
// on the tiny model): a 4-candidate /imagine answers with one grid and U/V rows of buttons; U2
// references candidate 2 of its parent (no new upload), draws what the same pass from an upload of
// exactly that candidate draws, and its caption names the parent; a V button of the old message
// still works after the bot restarts.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordAdapter } from '../../src/adapters/discord/index.ts';
import { createEngine, type LocalEngine } from '../../src/engine/index.ts';
import { waitForJob } from '../../src/jobs/api.ts';
import { decodeImage, encodePng, gridCell } from '../../src/imaging/index.ts';
import type { RecordedRequest } from './fake-discord.ts';
import { startDiscordHarness, type DiscordHarness } from './harness.ts';

let h: DiscordHarness;
/** The engine and adapter started after the restart (the harness closes the first ones and the fake). */
let restarted: { engine: LocalEngine; adapter: DiscordAdapter } | null = null;
const USER = '200000000000000031';

beforeAll(async () => {
  h = await startDiscordHarness({ USER_MAX_PENDING: '3' });
});
afterAll(async () => {
  if (restarted) {
    await restarted.adapter.stop();
    await restarted.engine.close();
  }
  await h?.close();
});

const finalEdit = (token: string) => (r: RecordedRequest) =>
  r.method === 'PATCH' &&
  r.path.endsWith(`/${token}/messages/@original`) &&
  r.files.some((f) => f.filename.endsWith('.png') && f.filename !== 'preview.png');
const content = (r: RecordedRequest) => String(r.json?.content ?? '');
/** Labels and custom ids of a message's buttons, row by row. */
const buttons = (r: RecordedRequest) =>
  (r.json?.components as { components: { label: string; custom_id: string }[] }[]).map((row) =>
    row.components.map((b) => [b.label, b.custom_id]),
  );

describe('follow-up buttons on Discord', () => {
  let gridJob = '';
  let gridMessage = '';
  let vId = '';

  it('a 4-candidate /imagine shows one grid, the seeds, and U1-U4 / V1-V4 buttons with stateless ids', async () => {
    const cmd = h.fake.sendCommand({ name: 'imagine', options: { prompt: 'a rocket', steps: 3, seed: 70, count: 4 }, userId: USER });
    const final = await h.fake.waitForRequest(finalEdit(cmd.token), 60_000, 'grid result');
    gridMessage = cmd.originalId!;
    expect(content(final)).toContain('4 candidates, seeds 70, 71, 72, 73');
    gridJob = /job `([a-z0-9]+)`/.exec(content(final))![1];
    const rows = buttons(final);
    expect(rows[0]).toEqual([1, 2, 3, 4].map((n) => [`U${n}`, `act:${gridJob}:u:${n}`]));
    expect(rows[1].map((b) => b[0])).toEqual(['V1', 'V2', 'V3', 'V4']);
    expect(rows[2].map((b) => b[1])).toEqual([`diffuse:regen:${gridJob}`, `diffuse:info:${gridJob}`, `diffuse:delete:${gridJob}`]);
    vId = rows[1][2][1];
    const rec = await h.engine.get(gridJob);
    expect(rec?.result?.timings).toMatchObject({ unetCalls: 3, unetEvaluations: 24 });
  });

  it('U2 starts from exactly candidate 2, read by the inference process, and names its parent', async () => {
    const press = h.fake.sendButton({ customId: `act:${gridJob}:u:2`, messageId: gridMessage, userId: USER });
    const final = await h.fake.waitForRequest(finalEdit(press.token), 60_000, 'U2 result');
    expect(content(final)).toContain(`U2 of job \`${gridJob}\``);
    const u2 = await h.engine.get(/job `([a-z0-9]+)`/.exec(content(final))![1]);
    expect(u2?.spec).toMatchObject({ technique: 'sketch', seed: 71, from: { jobId: gridJob, action: 'U2' } });
    expect(u2?.spec.source).toEqual({ parent: gridJob, candidate: 2, count: 4, action: 'u' });
    expect(u2?.spec.image).toBeUndefined();
    // Nothing was cut and stored as an upload by the bot.
    expect(existsSync(path.join(h.engine.config.dataDir, 'uploads'))).toBe(false);
    // The same pass from an upload of exactly candidate 2 draws the same picture.
    const grid = await decodeImage(readFileSync((await h.engine.get(gridJob))!.result!.files.rawPng));
    const cell = gridCell(grid, 4, 1);
    const up = await h.engine.storeUpload(await encodePng(cell.rgb, cell.width, cell.height), {
      platform: 'discord',
      userId: USER,
    });
    if (!up.ok) throw new Error(up.message);
    const { source: _source, from: _from, ...same } = u2!.spec;
    const again = await h.engine.submit({ ...same, image: up.ref }, { platform: 'discord', userId: USER });
    if (!again.ok) throw new Error(again.message);
    const end = await waitForJob(h.engine, again.jobId);
    if (end.type !== 'done') throw new Error(JSON.stringify(end));
    expect(readFileSync(end.result.files.rawPng).equals(readFileSync(u2!.result!.files.rawPng))).toBe(true);
    // One result, an upscale: Vary / zoom out / pan rows, and no second Upscale (it would not grow it).
    const labels = buttons(final).flat().map((b) => b[0]);
    expect(labels).toEqual(expect.arrayContaining(['Vary (subtle)', 'Vary (strong)', 'Zoom out 1.5x', 'Zoom out 2x', '⬅', '⬇']));
    expect(labels).not.toContain('Upscale');
  });

  it('V3 on the old message works after the bot restarts', async () => {
    const config = h.engine.config;
    await h.adapter.stop();
    await h.engine.close();
    const engine: LocalEngine = createEngine(config, { defaultMetrics: false });
    await engine.start();
    const adapter = new DiscordAdapter(engine, config, { minEditIntervalMs: 50 });
    await adapter.start();
    await adapter.ready();
    restarted = { engine, adapter };
    h = { ...h, engine, adapter };
    const press = h.fake.sendButton({ customId: vId, messageId: gridMessage, userId: USER });
    const final = await h.fake.waitForRequest(finalEdit(press.token), 60_000, 'V3 result after restart');
    expect(content(final)).toContain(`V3 strong of job \`${gridJob}\``);
  });
});
