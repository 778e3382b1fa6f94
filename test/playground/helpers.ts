// Shared helpers of the playground tests: a config on a fresh data dir with the tiny test model,
// an HTTP client that keeps the session cookie like a browser, an SSE reader and test images.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll } from 'vitest';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A config for tests: fresh DATA_DIR, the tiny random-weight model, silent logs, previews on every step. */
export function playgroundConfig(env: Record<string, string> = {}): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'diffuse-playground-'));
  return loadConfig({
    DATA_DIR: dataDir,
    MODEL: 'test-tiny',
    MODELS_DIR: path.join(ROOT, 'models'),
    LOG_LEVEL: 'silent',
    METRICS_PORT: '0',
    PROGRESS_INTERVAL_MS: '0',
    GIF_SIZE: '64',
    DISPLAY_SIZE: '128',
    PLAYGROUND_PORT: '0',
    ...env,
  });
}

/** A fetch that keeps cookies per client, as one browser does. */
export class Client {
  readonly cookies = new Map<string, string>();

  constructor(
    readonly base: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** Fetches `path` (relative to the server root) with this client's cookies, recording any it is sent. */
  async fetch(p: string, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.headers)) if (!headers.has(k)) headers.set(k, v);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(new URL(p, this.base), { redirect: 'manual', ...init, headers });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
    return res;
  }

  /** POST a JSON body. */
  postJson(p: string, body: unknown): Promise<Response> {
    return this.fetch(p, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  /** GET and parse JSON. */
  async json<T = Record<string, unknown>>(p: string): Promise<{ status: number; body: T }> {
    const res = await this.fetch(p);
    return { status: res.status, body: (await res.json()) as T };
  }
}

/** One server-sent event. */
export interface Sse {
  event: string;
  data: Record<string, unknown>;
}

/** Reads an SSE stream until the server ends it (or `max` events), parsing each event's JSON data. */
export async function readEvents(res: Response, max = 10_000): Promise<Sse[]> {
  const out: Sse[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length > 0) out.push({ event, data: JSON.parse(data.join('\n')) as Record<string, unknown> });
      if (out.length >= max) {
        await reader.cancel();
        return out;
      }
    }
  }
  return out;
}

/** A w x h PNG: a red-to-blue gradient with a dark square in the middle. */
export async function samplePng(w = 48, h = 40): Promise<Buffer> {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const inside = x > w / 3 && x < (2 * w) / 3 && y > h / 3 && y < (2 * h) / 3;
      px[i] = inside ? 20 : Math.round((255 * x) / (w - 1));
      px[i + 1] = inside ? 20 : 60;
      px[i + 2] = inside ? 20 : 255 - Math.round((255 * x) / (w - 1));
    }
  }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
}

/** A white-on-black mask PNG: the left half white (repaint). */
export async function halfMaskPng(w = 48, h = 40): Promise<Buffer> {
  const px = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w / 2; x++) px[y * w + x] = 255;
  return sharp(px, { raw: { width: w, height: h, channels: 1 } })
    .png()
    .toBuffer();
}

/** A base64 data URL of `bytes`. */
export function dataUrl(bytes: Uint8Array, type = 'image/png'): string {
  return `data:${type};base64,${Buffer.from(bytes).toString('base64')}`;
}

/** A real engine and playground for a test file (playgroundConfig(env)): started before its tests, stopped and its DATA_DIR removed after them. */
export function usePlayground(env: Record<string, string> = {}): { config: Config; engine: LocalEngine; pg: Playground } {
  const box = {} as { config: Config; engine: LocalEngine; pg: Playground };
  beforeAll(async () => {
    box.config = playgroundConfig(env);
    box.engine = createEngine(box.config, { defaultMetrics: false });
    await box.engine.start();
    box.pg = await startPlayground(box.config, box.engine);
  });
  afterAll(async () => {
    await box.pg?.stop();
    await box.engine?.close();
    if (box.config) rmSync(box.config.dataDir, { recursive: true, force: true });
  });
  return box;
}
