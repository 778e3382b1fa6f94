// /inpaint with neither a mask nor transparent pixels is refused at submit, with the executor's
// message, before any job exists (no id, no queue entry, no event).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import type { JobEvent } from '../../src/jobs/api.ts';
import { testConfig, testPng } from './helpers.ts';

let engine: LocalEngine;
const events: JobEvent[] = [];
const owner = { platform: 'test', userId: 'u1', channelRef: 'c1' };

beforeAll(async () => {
  engine = createEngine(testConfig(), { defaultMetrics: false });
  await engine.start();
  engine.subscribeAll((e) => events.push(e));
});
afterAll(async () => engine?.close());

async function upload(bytes: Buffer, by: typeof owner = owner): Promise<string> {
  const r = await engine.storeUpload(bytes, by);
  if (!r.ok) throw new Error(r.message);
  return r.ref;
}

describe('inpaint admission', () => {
  it('refuses an opaque image without a mask before a job is created', async () => {
    const image = await upload(await testPng(48, 40, false));
    const r = await engine.submit({ technique: 'inpaint', prompt: 'a cat', image, steps: 2 }, owner);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('invalid_spec');
    expect(r.message).toMatch(
      /^Inpainting needs a mask: attach a mask image \(white = repaint\) or an image with transparent areas/,
    );
    expect(await engine.listQueue()).toEqual([]);
    expect(events).toEqual([]);
  });

  it('accepts an image with transparent pixels, or any image with a mask', async () => {
    const holed = await upload(await testPng(48, 40, true));
    const a = await engine.submit({ technique: 'inpaint', prompt: 'a cat', image: holed, steps: 2 }, owner);
    expect(a.ok).toBe(true);
    // Another user, with uploads of their own (the same bytes give the same references).
    const u2 = { ...owner, userId: 'u2' };
    const opaque = await upload(await testPng(48, 40, false), u2);
    expect(await upload(await testPng(48, 40, true), u2)).toBe(holed);
    const b = await engine.submit(
      { technique: 'inpaint', prompt: 'a cat', image: opaque, mask: holed, steps: 2 },
      u2,
    );
    expect(b.ok).toBe(true);
  });
});
