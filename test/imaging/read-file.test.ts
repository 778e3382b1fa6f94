import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { readRgbFile } from '../../src/imaging/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'read-rgb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readRgbFile', () => {
  it('drops alpha and keeps the colour bytes of an RGBA PNG', async () => {
    const raw = Buffer.from([255, 0, 0, 255, 0, 255, 0, 10, 0, 0, 255, 128, 9, 8, 7, 0]);
    const file = join(dir, 'rgba.png');
    writeFileSync(file, await sharp(raw, { raw: { width: 2, height: 2, channels: 4 } }).png().toBuffer());
    const img = await readRgbFile(file);
    expect([img.width, img.height]).toEqual([2, 2]);
    expect([...img.rgb]).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 8, 7]);
  });

  it('expands a grayscale PNG to three equal channels', async () => {
    const file = join(dir, 'gray.png');
    const gray = Buffer.from([0, 100, 200]);
    writeFileSync(file, await sharp(gray, { raw: { width: 3, height: 1, channels: 1 } }).png().toBuffer());
    const img = await readRgbFile(file);
    expect([...img.rgb]).toEqual([0, 0, 0, 100, 100, 100, 200, 200, 200]);
  });

  it('rejects a missing file', async () => {
    await expect(readRgbFile(join(dir, 'missing.png'))).rejects.toThrow(/missing\.png|exist/);
  });
});
