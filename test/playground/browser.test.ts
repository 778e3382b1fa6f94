// End to end in a real browser: Playwright (playwright-core) drives Debian's chromium against the
// real playground server and engine on the tiny test model.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import { playgroundConfig, samplePng } from './helpers.ts';

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

/** The stored upload of a job's spec field, decoded to raw RGB. */
async function uploadPixels(jobId: string, field: 'image' | 'mask') {
  const rec = await engine.get(jobId);
  const ref = rec!.spec[field]!;
  const file = path.join(config.dataDir, 'uploads', ref.slice(0, 2), ref);
  const { data, info } = await sharp(readFileSync(file))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** Draws a stroke across `canvas` from (x0, y0) to (x1, y1), fractions of its box. */
async function drag(
  p: Page,
  selector: string,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): Promise<void> {
  const box = (await p.locator(selector).boundingBox())!;
  await p.mouse.move(box.x + box.width * x0, box.y + box.height * y0);
  await p.mouse.down();
  for (let i = 1; i <= 10; i++) {
    await p.mouse.move(
      box.x + box.width * (x0 + ((x1 - x0) * i) / 10),
      box.y + box.height * (y0 + ((y1 - y0) * i) / 10),
    );
  }
  await p.mouse.up();
}

/** Seeds shown in the alt texts of the result images, in order. */
async function resultSeeds(p: Page): Promise<number[]> {
  const alts = await p
    .getByRole('img', { name: /^Result of job/ })
    .evaluateAll((els) => els.map((e) => e.getAttribute('alt') ?? ''));
  return alts.map((a) => Number(/seed (\d+)\)$/.exec(a)?.[1]));
}

/** Whether every image matching `name` has loaded with real pixels. */
async function allLoaded(p: Page, name: RegExp): Promise<boolean> {
  return p
    .getByRole('img', { name })
    .evaluateAll(
      (els) =>
        els.length > 0 &&
        els.every((e) => (e as HTMLImageElement).complete && (e as HTMLImageElement).naturalWidth > 0),
    );
}

/** The job id of the last job message. */
async function lastJobId(p: Page): Promise<string> {
  return p.locator('li[data-job]').last().getAttribute('data-job') as Promise<string>;
}

describe('playground in a browser', () => {
  beforeAll(async () => {
    if (!hasChromium) return;
    config = playgroundConfig({ PROGRESS_INTERVAL_MS: '0', MODEL: 'emoji' });
    engine = createEngine(config, { defaultMetrics: false });
    await engine.start();
    pg = await startPlayground(config, engine);
    profile = mkdtempSync(path.join(tmpdir(), 'diffuse-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
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

  it.skipIf(!hasChromium)(
    `types a command with completion, shows progress, then the image and the GIF; 🔁 draws another seed${SKIP}`,
    async () => {
      const box = page.getByRole('combobox', { name: 'Message' });
      await box.click();
      await box.pressSequentially('/ima');
      const option = page.getByRole('option', { name: /\/imagine/ });
      await expect.poll(() => option.isVisible()).toBe(true);
      await box.press('Tab');
      expect(await box.inputValue()).toBe('/imagine ');
      await box.pressSequentially('a rocket ship --');
      await expect.poll(() => page.getByRole('option', { name: /--seed/ }).isVisible()).toBe(true);
      await box.pressSequentially('seed 3 --steps 12');
      expect(await page.locator('#composer-hint').textContent()).toContain('/imagine prompt');

      // Every progress value and preview frame the page shows is recorded as it happens.
      await page.evaluate(() => {
        const w = window as unknown as { seen: { steps: string[]; previews: number } };
        w.seen = { steps: [], previews: 0 };
        new MutationObserver((records) => {
          for (const r of records) {
            const t = r.target as HTMLElement;
            if (t instanceof HTMLProgressElement && r.attributeName === 'value')
              w.seen.steps.push(`${t.value}/${t.max}`);
            if (
              t instanceof HTMLImageElement &&
              t.classList.contains('preview') &&
              r.attributeName === 'src' &&
              t.src.startsWith('data:image/png')
            )
              w.seen.previews++;
          }
        }).observe(document.getElementById('messages')!, {
          subtree: true,
          attributes: true,
          attributeFilter: ['value', 'src'],
        });
      });
      await box.press('Enter');
      expect(await box.inputValue()).toBe('');
      await expect
        .poll(() => page.getByText('/imagine a rocket ship --seed 3 --steps 12').isVisible())
        .toBe(true);

      const firstResult = page.getByRole('img', { name: /^Result of job .*seed 3\)$/ });
      await firstResult.waitFor();
      await expect.poll(() => allLoaded(page, /^Result of job/), { timeout: 30_000 }).toBe(true);
      await expect
        .poll(() => allLoaded(page, /^Denoising trajectory of job/), { timeout: 30_000 })
        .toBe(true);
      const seen = await page.evaluate(
        () => (window as unknown as { seen: { steps: string[]; previews: number } }).seen,
      );
      expect(seen.steps).toContain('12/12');
      expect(seen.steps.length).toBeGreaterThanOrEqual(2);
      expect(seen.previews).toBeGreaterThan(0);
      const first = await lastJobId(page);
      const caption = page.locator(`li[data-job="${first}"] .caption`);
      expect(await caption.textContent()).toMatch(/seed 3 · 12 steps/);
      const gifSrc = await page
        .getByRole('img', { name: /^Denoising trajectory of job/ })
        .first()
        .getAttribute('src');
      expect(gifSrc).toBe(`/api/jobs/${first}/trajectory.gif`);

      await page.getByRole('button', { name: `Regenerate job ${first} with a new seed` }).click();
      await expect
        .poll(() => page.getByRole('img', { name: /^Result of job/ }).count(), { timeout: 30_000 })
        .toBe(2);
      await expect.poll(() => allLoaded(page, /^Result of job/), { timeout: 30_000 }).toBe(true);
      const seeds = await resultSeeds(page);
      expect(seeds[0]).toBe(3);
      expect(Number.isInteger(seeds[1])).toBe(true);
      expect(seeds[1]).not.toBe(3);
      const second = await lastJobId(page);
      expect(second).not.toBe(first);
      expect((await engine.get(second))!.parentId).toBe(first);
    },
  );

  it.skipIf(!hasChromium)(`draws a sketch (colour, size, undo) and runs /sketch with it${SKIP}`, async () => {
    await page.getByRole('button', { name: 'Draw a sketch' }).click();
    const dialog = page.getByRole('dialog', { name: 'Draw a sketch' });
    await dialog.waitFor();
    const attach = dialog.getByRole('button', { name: 'Attach sketch' });
    expect(await attach.isDisabled()).toBe(true);
    await dialog.getByRole('radio', { name: 'Blue' }).check();
    await drag(page, '#sketch-canvas', 0.1, 0.1, 0.9, 0.1);
    await dialog.getByRole('button', { name: 'Undo' }).click();
    expect(await attach.isDisabled()).toBe(true);
    await dialog.getByRole('radio', { name: 'Red' }).check();
    await page.locator('#sketch-size').fill('40');
    await drag(page, '#sketch-canvas', 0.2, 0.5, 0.8, 0.5);
    await attach.click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await expect.poll(() => page.getByRole('img', { name: 'Image: sketch.png' }).isVisible()).toBe(true);
    const box = page.getByRole('combobox', { name: 'Message' });
    expect(await box.inputValue()).toBe('/sketch ');
    await box.pressSequentially('a red line --noise_level 3 --seed 4');
    await box.press('Enter');
    await expect
      .poll(() => page.getByRole('img', { name: 'Attached image: sketch.png' }).isVisible())
      .toBe(true);
    await page.getByRole('img', { name: /^Result of job .*sketch.*seed 4\)$/ }).waitFor();

    // The attachment was the canvas: white paper, a thick red horizontal line through the middle, no blue.
    const jobId = await lastJobId(page);
    const img = await uploadPixels(jobId, 'image');
    expect([img.width, img.height]).toEqual([256, 256]);
    const px = (x: number, y: number) => [
      ...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3),
    ];
    expect(px(128, 128)).toEqual([229, 57, 53]);
    expect(px(128, 20)).toEqual([255, 255, 255]);
    expect(px(128, 230)).toEqual([255, 255, 255]);
    let blue = 0;
    for (let i = 0; i < img.data.length; i += 3) if (img.data[i + 2] > 200 && img.data[i] < 100) blue++;
    expect(blue).toBe(0);
  });

  it.skipIf(!hasChromium)(`paints a mask over an attached image and runs /inpaint${SKIP}`, async () => {
    await page
      .locator('#file')
      .setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: await samplePng(96, 80) });
    await expect.poll(() => page.getByRole('img', { name: 'Image: photo.png' }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Paint a mask over the attached image' }).click();
    const dialog = page.getByRole('dialog', { name: 'Paint the part to repaint' });
    await dialog.waitFor();
    // The default brush is wide: one stroke covers a fifth of the picture's width.
    expect(Number(await page.locator('#mask-size').inputValue())).toBeGreaterThanOrEqual(96);
    await page.locator('#mask-size').fill('96');
    await drag(page, '#mask-canvas', 0.05, 0.1, 0.05, 0.9);
    // A rectangle over the lower right quarter; the dialog says how much will be redrawn.
    await dialog.getByRole('radio', { name: 'Rectangle' }).check();
    await drag(page, '#mask-canvas', 0.6, 0.6, 0.95, 0.95);
    await expect.poll(() => page.locator('#mask-share').textContent()).toMatch(/^(2\d|3\d)% of the picture will be redrawn/);
    await dialog.getByRole('button', { name: 'Attach mask' }).click();
    await expect.poll(() => page.getByRole('img', { name: 'Mask: mask.png' }).isVisible()).toBe(true);
    const box = page.getByRole('combobox', { name: 'Message' });
    expect(await box.inputValue()).toBe('/inpaint ');
    await box.pressSequentially('a cat --seed 2');
    await box.press('Enter');
    await page.getByRole('img', { name: /^Result of job .*inpaint.*seed 2\)$/ }).waitFor();

    // The mask is white where painted (the left edge), black elsewhere, at the image's size.
    const mask = await uploadPixels(await lastJobId(page), 'mask');
    expect([mask.width, mask.height]).toEqual([96, 80]);
    const at = (x: number, y: number) => mask.data[(y * mask.width + x) * 3];
    expect(at(2, 40)).toBe(255);
    expect(at(90, 40)).toBe(0);
    expect(at(80, 70)).toBe(255);
    expect(at(50, 40)).toBe(0);
    // Grey only on the anti-aliased edge of the stroke.
    let white = 0;
    let grey = 0;
    for (let i = 0; i < mask.data.length; i += 3) {
      if (mask.data[i] >= 245) white++;
      else if (mask.data[i] > 10) grey++;
    }
    expect(white).toBeGreaterThan(96 * 80 * 0.1);
    expect(grey).toBeLessThan(white / 2);
  });

  it.skipIf(!hasChromium)(`attaches an image by drag-and-drop and by paste${SKIP}`, async () => {
    const png = (await samplePng(32, 32)).toString('base64');
    const drop = (kind: 'drop' | 'paste', name: string) =>
      page.evaluate(
        ({ kind, name, png }) => {
          const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
          const dt = new DataTransfer();
          dt.items.add(new File([bytes], name, { type: 'image/png' }));
          if (kind === 'drop') {
            window.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true }));
            window.dispatchEvent(
              new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }),
            );
          } else {
            document
              .getElementById('message')!
              .dispatchEvent(
                new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }),
              );
          }
        },
        { kind, name, png },
      );
    await drop('drop', 'dropped.png');
    await expect.poll(() => page.getByRole('img', { name: 'Image: dropped.png' }).isVisible()).toBe(true);
    expect(await page.locator('#drop-overlay').isHidden()).toBe(true);
    await drop('paste', 'clip.png');
    await expect.poll(() => page.getByRole('img', { name: 'Image: clip.png' }).isVisible()).toBe(true);
    expect(await page.getByRole('img', { name: 'Image: dropped.png' }).count()).toBe(0);
    // /imagine takes no image: the attachment stays for the next message; /noise takes it.
    const box = page.getByRole('combobox', { name: 'Message' });
    await box.fill('/imagine a hat --steps 2 --seed 8');
    await box.press('Enter');
    await page.getByRole('img', { name: /^Result of job .*seed 8\)$/ }).waitFor();
    expect(await page.getByRole('img', { name: 'Image: clip.png' }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Remove image clip.png' }).click();
    expect(await page.getByRole('img', { name: 'Image: clip.png' }).count()).toBe(0);
  });

  it.skipIf(!hasChromium)(`shows the error of a non-image upload and keeps working${SKIP}`, async () => {
    // A text file that claims to be a PNG reaches the server, which answers 415.
    await page.locator('#file').setInputFiles({
      name: 'notes.png',
      mimeType: 'image/png',
      buffer: Buffer.from('these are my notes, not a picture'),
    });
    const box = page.getByRole('combobox', { name: 'Message' });
    await box.fill('/sketch');
    await box.press('Enter');
    const error = page.locator('.msg-error').filter({ hasText: 'not an image' });
    await error.waitFor();
    expect(await error.textContent()).toContain('PNG, JPEG');

    // A file that is plainly not an image is refused before sending.
    await page
      .locator('#file')
      .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await expect
      .poll(() => page.getByRole('alert').filter({ hasText: 'notes.txt is not an image' }).isVisible())
      .toBe(true);

    // The page still works.
    const before = await page.getByRole('img', { name: /^Result of job/ }).count();
    await box.fill('/imagine a cat --steps 3 --seed 9');
    await box.press('Enter');
    await expect.poll(() => page.getByRole('img', { name: /^Result of job/ }).count()).toBe(before + 1);
    expect(pageErrors).toEqual([]);
  });

  it.skipIf(!hasChromium)(`restores the conversation from history after a reload${SKIP}`, async () => {
    // A grid job and two of its follow-ups: after the reload each keeps its own label, and the grid its --count.
    const box = page.getByRole('combobox', { name: 'Message' });
    await box.fill('/imagine a hat --steps 2 --seed 21 --count 2');
    await box.press('Enter');
    await page.getByRole('img', { name: /^Result of job .*seed 21\)$/ }).waitFor();
    const grid = await lastJobId(page);
    const follow = async (label: string) => {
      const n = await page.getByRole('img', { name: /^Result of job/ }).count();
      await page.getByRole('group', { name: `Follow-ups of job ${grid}` }).getByRole('button', { name: label, exact: true }).click();
      await expect.poll(() => page.getByRole('img', { name: /^Result of job/ }).count(), { timeout: 60_000 }).toBe(n + 1);
    };
    await follow('U2');
    await follow('V1');
    const before = await resultSeeds(page);
    await page.reload();
    await expect.poll(() => resultSeeds(page)).toEqual(before);
    await expect.poll(() => allLoaded(page, /^Result of job/)).toBe(true);
    expect(await page.getByText('/imagine a rocket ship --seed 3 --steps 12', { exact: true }).count()).toBe(
      1,
    );
    expect(await page.getByText('/imagine a hat --seed 21 --steps 2 --count 2', { exact: true }).count()).toBe(1);
    expect(await page.getByText(`U2 of job ${grid}`, { exact: true }).count()).toBe(1);
    expect(await page.getByText(`V1 strong of job ${grid}`, { exact: true }).count()).toBe(1);
    expect(pageErrors).toEqual([]);
    if (process.env.SHOT) await page.screenshot({ path: process.env.SHOT, fullPage: true });
  });

  it.skipIf(!hasChromium)(`the Info button shows /info with its command line as a block, without markdown fences${SKIP}`, async () => {
    const jobId = await lastJobId(page);
    await page.getByRole('button', { name: `Info about job ${jobId}` }).click();
    const reply = page.locator('.msg').filter({ hasText: `Job ${jobId}` }).last();
    await reply.waitFor();
    expect(await reply.textContent()).not.toContain('```');
    const block = reply.locator('.code-block pre');
    expect(await block.textContent()).toMatch(/^diffuse \w+ /);
    expect(await reply.getByRole('button', { name: 'Copy' }).isVisible()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it.skipIf(!hasChromium)(`shows what the model understands of the prompt while it is typed, and in the job's first message${SKIP}`, async () => {
    const box = page.getByRole('combobox', { name: 'Message' });
    await box.fill('');
    await box.pressSequentially('/imagine a zorblax rocket --seed 4');
    const line = page.locator('#composer-reading');
    await expect.poll(() => line.textContent(), { timeout: 15_000 }).toMatch(/^Reads as: 🚀 rocket.*unknown: zorblax$/);
    await box.press('Enter');
    const msg = page.locator('.msg').filter({ hasText: 'unknown words: zorblax' });
    await msg.first().waitFor();
    expect(await line.isHidden()).toBe(true);
    expect(pageErrors).toEqual([]);
  });

  it.skipIf(!hasChromium)(`--prior off draws with the network alone, and the result says so${SKIP}`, async () => {
    const box = page.getByRole('combobox', { name: 'Message' });
    await box.fill('/imagine a red heart --prior off --steps 2 --seed 12');
    await box.press('Enter');
    await page.getByRole('img', { name: /^Result of job .*seed 12\)$/ }).waitFor();
    const jobId = await lastJobId(page);
    const msg = page.locator(`li[data-job="${jobId}"]`);
    await expect.poll(() => msg.textContent()).toContain('prior off');
    expect(pageErrors).toEqual([]);
  });

  it.skipIf(!hasChromium)(`asks for the access token when one is configured, then works${SKIP}`, async () => {
    const guarded = await startPlayground(config, engine, { port: 0, token: 'open-sesame-123' });
    const p = await context.newPage();
    try {
      await p.goto(guarded.url);
      const banner = p.getByRole('alert').filter({ hasText: 'needs its access token' });
      await banner.waitFor();
      await p.getByLabel('Access token').fill('open-sesame-123');
      await p.getByRole('button', { name: 'Open' }).click();
      await p.waitForURL(guarded.url);
      await expect.poll(() => p.locator('#engine-status').textContent()).toContain('emoji');
      expect(await p.locator('#auth-banner').isHidden()).toBe(true);
      const box = p.getByRole('combobox', { name: 'Message' });
      await box.fill('/imagine a door --steps 2 --seed 1');
      await box.press('Enter');
      await p.getByRole('img', { name: /^Result of job .*seed 1\)$/ }).waitFor();
    } finally {
      await p.close();
      await guarded.stop();
    }
  });
});
