// Edit on a result, end to end in a real browser (Playwright driving Debian's chromium against the
// real playground server and engine on the tiny test model): Edit 2 on a grid opens the mask
// painter on candidate 2 alone; the painted mask is attached and the composer reads
// "/inpaint --job ID --candidate 2 "; the prompt typed after it runs an inpaint whose spec names
// its parent's candidate, with only the mask stored as a new upload (the picture is not sent).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import { playgroundConfig } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SKIP = hasChromium ? '' : ` (skipped: ${CHROMIUM} not installed)`;

let config: Config;
let engine: LocalEngine;
let pg: Playground;
let context: BrowserContext;
let page: Page;
let profile: string;
const pageErrors: string[] = [];

const uploadCount = () => (engine.store.db.prepare('SELECT COUNT(*) AS n FROM uploads').get() as { n: number }).n;
const lastJobId = (p: Page) => p.locator('li[data-job]').last().getAttribute('data-job') as Promise<string>;

describe('Edit on a result in the playground', () => {
  beforeAll(async () => {
    if (!hasChromium) return;
    config = playgroundConfig();
    engine = createEngine(config, { defaultMetrics: false });
    await engine.start();
    pg = await startPlayground(config, engine);
    profile = mkdtempSync(path.join(tmpdir(), 'diffuse-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.setDefaultTimeout(30_000);
    await page.goto(pg.url);
  });

  afterAll(async () => {
    await context?.close();
    await pg?.stop();
    await engine?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    if (config) rmSync(config.dataDir, { recursive: true, force: true });
  });

  it.skipIf(!hasChromium)(`Edit 2 -> paint -> attach -> prompt: an inpaint of that candidate by reference, no re-upload${SKIP}`, async () => {
    const box = page.getByRole('combobox', { name: 'Message' });
    await box.fill('/imagine rocket --count 2 --steps 2 --seed 3');
    await box.press('Enter');
    await page.getByRole('img', { name: /^Result of job .*seed 3\)$/ }).waitFor();
    const parent = await lastJobId(page);
    const parentMsg = page.locator(`li[data-job="${parent}"]`);
    const edits = parentMsg.getByRole('group', { name: `Edit a picture of job ${parent}` }).getByRole('button');
    expect(await edits.allTextContents()).toEqual(['Edit 1', 'Edit 2']);
    const before = uploadCount();

    await edits.nth(1).click();
    const dialog = page.getByRole('dialog', { name: 'Paint the part to repaint' });
    await dialog.waitFor();
    // The painter shows candidate 2 alone: a square cell, not the 2x1 grid.
    const canvas = await page.locator('#mask-canvas').evaluate((c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
    expect(canvas[0]).toBe(canvas[1]);
    await dialog.getByRole('radio', { name: 'Rectangle' }).check();
    const area = (await page.locator('#mask-canvas').boundingBox())!;
    await page.mouse.move(area.x + area.width * 0.05, area.y + area.height * 0.05);
    await page.mouse.down();
    await page.mouse.move(area.x + area.width * 0.45, area.y + area.height * 0.95, { steps: 8 });
    await page.mouse.up();
    await dialog.getByRole('button', { name: 'Attach mask' }).click();
    await expect.poll(() => page.getByRole('img', { name: 'Mask: mask.png' }).isVisible()).toBe(true);
    expect(await box.inputValue()).toBe(`/inpaint --job ${parent} --candidate 2 `);
    await box.pressSequentially('a cat --seed 5 --steps 2');
    await box.press('Enter');
    await page.getByRole('img', { name: /^Result of job .*inpaint.*seed 5\)$/ }).waitFor();

    const child = await lastJobId(page);
    const rec = await engine.get(child);
    expect(rec).toMatchObject({
      status: 'done',
      parentId: parent,
      spec: { technique: 'inpaint', prompt: 'a cat', source: { parent, candidate: 2, count: 2, action: 'input' }, from: { jobId: parent } },
    });
    expect(rec!.spec.image).toBeUndefined();
    // Only the mask was stored; it is the candidate's shape (square) and white on the left.
    expect(uploadCount() - before).toBe(1);
    const ref = rec!.spec.mask!;
    const { data, info } = await sharp(readFileSync(path.join(config.dataDir, 'uploads', ref.slice(0, 2), ref)))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(info.width).toBe(info.height);
    const at = (fx: number, fy: number) => data[(Math.floor(fy * info.height) * info.width + Math.floor(fx * info.width)) * info.channels];
    expect(at(0.25, 0.5)).toBe(255);
    expect(at(0.75, 0.5)).toBe(0);

    // After a reload the history shows the command as typed, with its job reference.
    await page.reload();
    await page.locator(`li[data-job="${child}"]`).waitFor();
    await expect
      .poll(() => page.locator('li.msg-user .text').allTextContents())
      .toContain(`/inpaint a cat --job ${parent} --candidate 2 --seed 5 --steps 2`);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
