import { afterAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import {
  DecodePool,
  decodeImage,
  isImageInputError,
  probeImage,
  type DecodedImage,
  type DecodeLimits,
} from '../../src/imaging/index.ts';
import { craftedPngHeader, noiseImage, randomBytes } from './helpers.ts';

const FAULTY = new URL('./fixtures/faulty-decode-worker.ts', import.meta.url).href;

async function noisePng(width: number, height: number, seed: number, channels: 3 | 4 = 3): Promise<Buffer> {
  const px = channels === 3 ? noiseImage(width, height, seed).rgb : randomBytes(width * height * 4, seed);
  return sharp(px, { raw: { width, height, channels } }).png().toBuffer();
}

/** The error a promise rejects with (fails the test if it resolves). */
async function errorOf(p: Promise<unknown>): Promise<Error & { code?: string; detail?: unknown }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection, got a result');
}

function same(a: DecodedImage, b: DecodedImage): void {
  expect([a.width, a.height, a.format, a.frames]).toEqual([b.width, b.height, b.format, b.frames]);
  expect(Buffer.from(a.rgb).equals(Buffer.from(b.rgb))).toBe(true);
  expect(a.alpha === undefined).toBe(b.alpha === undefined);
  if (a.alpha && b.alpha) expect(Buffer.from(a.alpha).equals(Buffer.from(b.alpha))).toBe(true);
}

const pools: DecodePool[] = [];
function pool(options: ConstructorParameters<typeof DecodePool>[0] = {}): DecodePool {
  const p = new DecodePool(options);
  pools.push(p);
  return p;
}
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe('DecodePool', () => {
  it('decodes bit-identically to decodeImage, and probes without pixels', async () => {
    const rgba = await noisePng(97, 61, 11, 4); // random alpha: every branch of the flattening
    const jpeg = await sharp(await noisePng(40, 24, 12))
      .jpeg({ quality: 90 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const grey = await sharp(await noisePng(33, 17, 13))
      .greyscale()
      .png()
      .toBuffer();
    const webp = await sharp(rgba).webp({ lossless: true }).toBuffer();
    const p = pool();
    for (const input of [rgba, jpeg, grey, webp]) {
      const want = await decodeImage(input);
      same(await p.decode(input), want);
      expect(await p.probe(input)).toEqual({
        width: want.width,
        height: want.height,
        format: want.format,
        frames: want.frames,
        hasAlpha: want.alpha !== undefined,
      });
    }
    // The shared pool behind probeImage gives the same summary.
    expect((await probeImage(jpeg)).width).toBe(24);
  });

  it('runs at most `size` decodes at once and queues the rest', async () => {
    const inputs = await Promise.all([1, 2, 3, 4, 5, 6].map((s) => noisePng(300, 200, s, 4)));
    const wants = await Promise.all(inputs.map((b) => decodeImage(b)));
    for (const size of [1, 2]) {
      const p = pool({ size });
      let finished = 0;
      const jobs = inputs.map((b) => p.decode(b).finally(() => finished++));
      // Once all six are past their header check: `size` run, the rest wait.
      while (p.stats().running + p.stats().queued < 6 && finished === 0)
        await new Promise((r) => setImmediate(r));
      expect(p.stats().running).toBeLessThanOrEqual(size);
      const got = await Promise.all(jobs);
      got.forEach((d, i) => same(d, wants[i]));
      const s = p.stats();
      expect(s.peak).toBe(size);
      expect([s.running, s.queued]).toEqual([0, 0]);
      expect(s.workers).toBeLessThanOrEqual(size);
    }
  });

  it('refuses bad input with the same codes and messages as decodeImage', async () => {
    const png = await noisePng(64, 64, 1);
    const jpg = await sharp(png).jpeg().toBuffer();
    const rgba = await noisePng(2, 2, 4, 4);
    const cases: [string, Buffer, DecodeLimits][] = [
      ['truncated PNG (found by the decode in the worker)', png.subarray(0, png.length >> 1), {}],
      ['truncated JPEG', jpg.subarray(0, jpg.length >> 1), {}],
      ['garbage after a GIF magic number', Buffer.concat([Buffer.from('GIF89a'), randomBytes(200, 3)]), {}],
      ['random bytes', randomBytes(4096, 7), {}],
      ['empty', Buffer.alloc(0), {}],
      ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), {}],
      ['bomb', craftedPngHeader(30000, 30000), {}],
      ['custom pixel limit', png, { maxPixels: 1000 }],
      ['too many bytes', png, { maxBytes: 1000 }],
      ['too many channels', rgba, { maxChannels: 3 }],
    ];
    const p = pool();
    for (const [what, input, limits] of cases) {
      const want = await errorOf(decodeImage(input, limits));
      const got = await errorOf(p.decode(input, limits));
      expect(isImageInputError(got), what).toBe(true);
      expect([got.code, got.message], what).toEqual([want.code, want.message]);
      expect(got.detail, what).toEqual(want.detail);
      const probed = await errorOf(p.probe(input, limits));
      expect([probed.code, probed.message], what).toEqual([want.code, want.message]);
    }
  });

  it('refuses from the header on the calling thread, without starting a worker', async () => {
    const p = pool();
    for (const input of [craftedPngHeader(30000, 30000), randomBytes(4096, 8), Buffer.alloc(0)])
      expect(isImageInputError(await errorOf(p.probe(input)))).toBe(true);
    expect(isImageInputError(await errorOf(p.decode(await noisePng(64, 64, 9), { maxBytes: 100 })))).toBe(
      true,
    );
    expect(p.stats()).toMatchObject({ workers: 0, peak: 0 });
  });

  it('survives a worker that throws, exits or hangs, and keeps serving', async () => {
    const png = await noisePng(50, 40, 21);
    const want = await decodeImage(png);
    const p = pool({ size: 1, entry: FAULTY, timeoutMs: 3000 });
    for (const maxPixels of [12345, 12347, 12346]) {
      // The failing upload, and one queued behind it that must still be decoded.
      const bad = errorOf(p.decode(png, { maxPixels }));
      const next = p.decode(png);
      const e = await bad;
      expect(isImageInputError(e)).toBe(true);
      expect([e.code, e.message]).toEqual([
        'unsupported',
        'I could not decode that PNG image; try saving it as PNG or JPEG.',
      ]);
      same(await next, want);
    }
    expect(p.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('fails decodes still waiting when closed, and refuses new ones', async () => {
    const p = pool({ size: 1 });
    const png = await noisePng(200, 200, 31);
    const jobs = [p.decode(png), p.decode(png), p.decode(png)].map((j) => errorOf(j));
    while (p.stats().running === 0) await new Promise((r) => setImmediate(r));
    await p.close();
    for (const e of await Promise.all(jobs)) expect(e.message).toBe('the image decoder is shut down');
    expect((await errorOf(p.decode(png))).message).toBe('the image decoder is shut down');
  });
});
