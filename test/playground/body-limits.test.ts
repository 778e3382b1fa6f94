// JSON request bodies are bounded (1 MiB by default; images travel as multipart files), so no
// body can hold the event loop in JSON.parse: an oversized JSON body gets 413 from its
// Content-Length, or as soon as its streamed bytes pass the limit, and is never parsed (the
// command it holds never reaches the engine). `npm run bench -- playground-bodies` prints /healthz
// while large bodies are sent.
import { rmSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlayground, type Playground } from '../../src/adapters/playground/index.ts';
import type { Config } from '../../src/config.ts';
import { fakeEngine, type FakeEngine } from '../commands/fake-engine.ts';
import { playgroundConfig } from './helpers.ts';

const MiB = 1024 * 1024;
let config: Config;
let engine: FakeEngine;
let pg: Playground;

beforeAll(async () => {
  config = playgroundConfig();
  engine = fakeEngine();
  pg = await startPlayground(config, engine, { historyFile: null, sessionKeyFile: null });
});

afterAll(async () => {
  await pg?.stop();
  if (config) rmSync(config.dataDir, { recursive: true, force: true });
});

/** A JSON body of about `bytes` bytes that asks for a job, if it were ever parsed. */
function jobBody(bytes: number): Buffer {
  const head = '{"command":"imagine","options":{"prompt":"a cat"},"pad":"';
  return Buffer.from(head + 'x'.repeat(Math.max(0, bytes - head.length - 2)) + '"}');
}

/** Sends `body` in chunks, with or without a Content-Length; the status and JSON answer. */
function send(body: Buffer, opts: { declareLength: boolean; type?: string }): Promise<{ status: number; json: Record<string, unknown> }> {
  const url = new URL('/api/jobs', pg.url);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': opts.type ?? 'application/json', ...(opts.declareLength ? { 'content-length': String(body.length) } : {}) },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += String(c)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
    });
    // The server may answer and close before the whole body is sent.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    let i = 0;
    const next = () => {
      while (i < body.length) {
        const chunk = body.subarray(i, i + 64 * 1024);
        i += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', next);
      }
      req.end();
    };
    next();
  });
}

describe('JSON bodies', () => {
  it('a small JSON body is read and runs its command', async () => {
    const r = await send(jobBody(10_000), { declareLength: true });
    expect(r.status).toBe(202);
    expect(engine.submitted).toHaveLength(1);
  });

  it('413 from the Content-Length of a JSON body over 1 MiB, never parsed', async () => {
    const before = engine.submitted.length;
    const r = await send(jobBody(MiB + 1), { declareLength: true });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: 'too_large', error: 'A JSON body is limited to 1 MiB: send images as files in a multipart/form-data request (up to 25 MiB).' });
    expect(engine.submitted.length).toBe(before);
  });

  it('413 for a streamed JSON body (no Content-Length) once it passes the limit, never parsed', async () => {
    const before = engine.submitted.length;
    const r = await send(jobBody(23 * MiB), { declareLength: false });
    expect(r.status).toBe(413);
    expect(r.json.code).toBe('too_large');
    expect(engine.submitted.length).toBe(before);
  });

  it('a body without a content type is read as JSON, under the same limit', async () => {
    const r = await send(jobBody(2 * MiB), { declareLength: true, type: '' });
    expect(r.status).toBe(413);
  });

  it('a multipart body keeps the larger limit', async () => {
    const form = new FormData();
    form.set('text', '/help');
    form.set('note', 'y'.repeat(3 * MiB));
    const res = await fetch(new URL('/api/jobs', pg.url), { method: 'POST', body: form });
    expect(res.status).toBe(200);
  });
});
