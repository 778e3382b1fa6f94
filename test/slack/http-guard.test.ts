// HTTP mode hardening against the fake Slack: oversized bodies are refused with 413 and the
// connection is closed before the body was sent; the timestamp window applies both ways; a
// replayed signed request runs once; unsigned requests are refused unread (except Slack's
// ssl_check); the server listens on SLACK_HOST.
import { request } from 'node:http';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayCache } from '../../src/adapters/slack/http-guard.ts';
import { FakeSlack } from './fake-slack.ts';
import { BOT_TOKEN, postSigned, signedHeaders, slashCommandForm, startHarness, type Harness } from './helpers.ts';

const FORM = 'application/x-www-form-urlencoded';
const MiB = 1024 * 1024;

/**
 * Sends a POST whose body is streamed in 64 KiB chunks (with backpressure) until the server answers,
 * never more than `total` bytes; resolves once the connection is closed (closed: false if it is
 * still open 10 s after the answer). `sent` = bytes handed to the socket when the answer came.
 */
function streamPost(url: string, headers: Record<string, string>, total: number): Promise<{ status: number | null; sent: number; closed: boolean }> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers, agent: false });
    let sent = 0;
    let sentAtAnswer = -1;
    let status: number | null = null;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      req.destroy();
      resolve({ status, sent: sentAtAnswer < 0 ? sent : sentAtAnswer, closed });
    };
    req.on('socket', (socket) => socket.on('close', () => finish(true)));
    req.on('response', (res) => {
      status = res.statusCode ?? null;
      sentAtAnswer = sent;
      res.resume();
      setTimeout(() => finish(false), 10_000).unref();
    });
    req.on('error', () => {});
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (!done && status === null && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
    };
    pump();
  });
}

describe('Slack adapter, HTTP mode hardening', () => {
  const fake = new FakeSlack({ botToken: BOT_TOKEN });
  let h: Harness;

  beforeAll(async () => {
    await fake.start();
    h = await startHarness(fake, { SLACK_MODE: 'http' });
  });
  afterAll(async () => {
    await h?.close();
    await fake.stop();
  });

  it('refuses a huge declared body with 413 and closes the connection long before it is sent', async () => {
    const declared = 300 * MiB;
    const r = await streamPost(h.eventsUrl, { 'content-type': FORM, 'content-length': String(declared) }, declared);
    expect(r.status).toBe(413);
    expect(r.closed).toBe(true);
    expect(r.sent).toBeLessThan(64 * MiB);
  });

  it('refuses a chunked body past 1 MiB with 413, even with plausible signature headers', async () => {
    const headers = signedHeaders('x', { contentType: FORM });
    const total = 200 * MiB;
    const r = await streamPost(h.eventsUrl, { ...headers, 'transfer-encoding': 'chunked' }, total);
    expect(r.status).toBe(413);
    expect(r.closed).toBe(true);
    expect(r.sent).toBeLessThan(64 * MiB);
  });

  it('refuses unsigned requests unread, but answers Slack\'s ssl_check', async () => {
    const json = await fetch(h.eventsUrl, { method: 'POST', body: JSON.stringify({ type: 'event_callback' }), headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(401);
    const form = await fetch(h.eventsUrl, { method: 'POST', body: slashCommandForm(fake, { command: '/imagine', text: 'unsigned' }), headers: { 'content-type': FORM } });
    expect(form.status).toBe(401);
    const ssl = await fetch(h.eventsUrl, { method: 'POST', body: 'ssl_check=1&token=legacy', headers: { 'content-type': FORM } });
    expect(ssl.status).toBe(200);
  });

  it('refuses a correctly signed request timestamped more than 5 minutes in the future', async () => {
    const before = fake.calls.length;
    const now = Math.floor(Date.now() / 1000);
    const future = await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/queue', text: '', responseId: 'future' }), FORM, { timestamp: now + 6 * 60 });
    expect(future.status).toBe(401);
    const nearFuture = await postSigned(h.eventsUrl, slashCommandForm(fake, { command: '/queue', text: '', responseId: 'near-future' }), FORM, { timestamp: now + 60 });
    expect(nearFuture.status).toBe(200);
    await fake.waitFor(() => fake.responses.find((r) => r.id === 'near-future'), 10_000, 'the /queue reply');
    expect(fake.responses.some((r) => r.id === 'future')).toBe(false);
    expect(fake.calls.slice(before).filter((c) => c.method === 'chat.postMessage')).toHaveLength(0);
  });

  it('runs a replayed signed slash command once', async () => {
    const body = slashCommandForm(fake, { command: '/imagine', text: 'a replayed rocket --steps 2 --seed 5', channel: 'CREPLAY1', responseId: 'replay' });
    const headers = signedHeaders(body, { contentType: FORM });
    const send = () => fetch(h.eventsUrl, { method: 'POST', body, headers });
    // Two at once (the second arrives while the first is still being handled), then a third later.
    const [a, b] = await Promise.all([send(), send()]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await fake.waitFor(() => fake.messagesOf('CREPLAY1').find((m) => m.files?.length), 50_000, 'the result upload');
    const c = await send();
    expect(c.status).toBe(200);
    expect(await c.text()).toBe('');
    await new Promise((r) => setTimeout(r, 300));
    const statuses = fake.callsOf('chat.postMessage').filter((m) => m.args.channel === 'CREPLAY1');
    expect(statuses).toHaveLength(1);
    expect(fake.messagesOf('CREPLAY1').filter((m) => m.files?.length)).toHaveLength(1);
  });
});

describe('Slack adapter, HTTP listen address', () => {
  const fake = new FakeSlack({ botToken: BOT_TOKEN });
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  const canBind = (host: string) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(0, host, () => s.close(() => resolve(true)));
    });
  const reachable = (host: string, port: number) =>
    fetch(`http://${host}:${port}/slack/events`, { method: 'POST', body: 'ssl_check=1', headers: { 'content-type': FORM } }).then(
      (r) => r.status,
      () => 'refused' as const,
    );

  it('listens on SLACK_HOST only (127.0.0.1 by default)', async () => {
    const h = await startHarness(fake, { SLACK_MODE: 'http' }, { host: undefined });
    try {
      expect(h.config.slack.host).toBe('127.0.0.1');
      expect(await reachable('127.0.0.1', h.bot.port!)).toBe(200);
    } finally {
      await h.close();
    }
    // Another loopback address (Linux routes all of 127/8 to lo) shows that the setting is what binds.
    if (!(await canBind('127.0.0.2'))) return;
    const other = await startHarness(fake, { SLACK_MODE: 'http', SLACK_HOST: '127.0.0.2' }, { host: undefined });
    try {
      expect(await reachable('127.0.0.2', other.bot.port!)).toBe(200);
      expect(await reachable('127.0.0.1', other.bot.port!)).toBe('refused');
    } finally {
      await other.close();
    }
  });
});

describe('ReplayCache', () => {
  it('remembers a key for its time to live, then forgets it', () => {
    const c = new ReplayCache(1000);
    expect(c.firstTime('a', 0)).toBe(true);
    expect(c.firstTime('a', 999)).toBe(false);
    expect(c.firstTime('b', 500)).toBe(true);
    expect(c.firstTime('a', 1000)).toBe(true);
    expect(c.size).toBe(2);
  });

  it('keeps at most maxEntries keys, dropping the oldest', () => {
    const c = new ReplayCache(60_000, 3);
    for (const k of ['a', 'b', 'c', 'd']) expect(c.firstTime(k, 0)).toBe(true);
    expect(c.size).toBe(3);
    expect(c.firstTime('a', 1)).toBe(true);
    expect(c.firstTime('d', 1)).toBe(false);
  });
});
