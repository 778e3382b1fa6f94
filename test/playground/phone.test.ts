// The playground on a phone-sized screen (390 x 844 CSS px) in a real browser (Debian's chromium):
// nothing wider than the screen, a completion list that shows at least four commands, a
// one-line composer whose placeholder fits, before and after a send, and a sketch dialog whose
// colours wrap instead of overflowing.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import { playgroundConfig } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const SKIP = hasChromium ? '' : ` (skipped: ${CHROMIUM} not installed)`;
const WIDTH = 390;

let config: Config;
let engine: LocalEngine;
let pg: Playground;
let context: BrowserContext;
let page: Page;
let profile: string;

/** The page's widest extent: the document's, and any element sticking out to the right. */
function widest(p: Page): Promise<number> {
  return p.evaluate(() =>
    Math.max(
      document.documentElement.scrollWidth,
      ...[...document.querySelectorAll('body *')]
        .filter((e) => (e as HTMLElement).offsetParent !== null)
        .map((e) => e.getBoundingClientRect().right),
    ),
  );
}

/** The composer's state: its height in lines and whether its placeholder fits on one line. */
function composer(p: Page): Promise<{ lines: number; placeholderFits: boolean }> {
  return p.evaluate(() => {
    const t = document.querySelector<HTMLTextAreaElement>('#message')!;
    const cs = getComputedStyle(t);
    const line = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.2;
    const inner = t.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom);
    const ctx = document.createElement('canvas').getContext('2d')!;
    ctx.font = `${cs.fontSize} ${cs.fontFamily}`;
    const room = t.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    return { lines: Math.round(inner / line), placeholderFits: ctx.measureText(t.placeholder).width <= room };
  });
}

describe('playground on a phone', () => {
  beforeAll(async () => {
    if (!hasChromium) return;
    config = playgroundConfig({ PROGRESS_INTERVAL_MS: '0' });
    engine = createEngine(config, { defaultMetrics: false });
    await engine.start();
    pg = await startPlayground(config, engine);
    profile = mkdtempSync(path.join(tmpdir(), 'diffuse-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: WIDTH, height: 844 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    page = await context.newPage();
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

  it.skipIf(!hasChromium)(`no overflow, four commands in the completion list, a one-line composer${SKIP}`, async () => {
    await page.locator('#engine-status').filter({ hasText: 'test-tiny' }).waitFor();
    expect(await widest(page)).toBeLessThanOrEqual(WIDTH);
    expect(await composer(page)).toEqual({ lines: 1, placeholderFits: true });

    const box = page.getByRole('combobox', { name: 'Message' });
    await box.click();
    await box.pressSequentially('/');
    const list = page.getByRole('listbox', { name: 'Suggestions' });
    await list.waitFor();
    const shown = await list.evaluate((ul) => {
      const frame = ul.getBoundingClientRect();
      return [...ul.querySelectorAll('li')].filter((li) => {
        const r = li.getBoundingClientRect();
        return r.top >= frame.top - 1 && r.bottom <= frame.bottom + 1 && r.height < 60;
      }).length;
    });
    expect(shown).toBeGreaterThanOrEqual(4);
    expect(await widest(page)).toBeLessThanOrEqual(WIDTH);

    await box.fill('/imagine a cat --steps 2 --seed 2');
    await box.press('Enter');
    await page.getByRole('img', { name: /^Result of job .*seed 2\)$/ }).waitFor();
    expect(await composer(page)).toEqual({ lines: 1, placeholderFits: true });
    expect(await widest(page)).toBeLessThanOrEqual(WIDTH);

    await page.getByRole('button', { name: /sketch/i }).first().click();
    await page.getByRole('dialog').waitFor();
    expect(await widest(page)).toBeLessThanOrEqual(WIDTH);
  });
});
