// Downloads of posted files: the bot token goes only to Slack's file hosts (https) or an
// explicitly allowed test host; declared and streamed sizes, login pages, redirects off Slack's
// hosts and slow servers are refused with messages for the user.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadError, downloadSlackFile, isSlackFileUrl } from '../../src/adapters/slack/download.ts';
import { FakeSlack } from './fake-slack.ts';
import { BOT_TOKEN, testPng } from './helpers.ts';

describe('isSlackFileUrl', () => {
  it('accepts https on Slack file hosts only', () => {
    expect(isSlackFileUrl('https://files.slack.com/files-pri/T1-F1/a.png')).toBe(true);
    expect(isSlackFileUrl('https://files.slack-gov.com/files-pri/T1-F1/a.png')).toBe(true);
    expect(isSlackFileUrl('http://files.slack.com/files-pri/T1-F1/a.png')).toBe(false);
    expect(isSlackFileUrl('https://files.slack.com:8443/a.png')).toBe(false);
    expect(isSlackFileUrl('https://files.slack.com.evil.example/a.png')).toBe(false);
    expect(isSlackFileUrl('https://evil.example/files.slack.com/a.png')).toBe(false);
    expect(isSlackFileUrl('https://user:pw@files.slack.com/a.png')).toBe(false);
    expect(isSlackFileUrl('https://slack.com/a.png')).toBe(false);
    expect(isSlackFileUrl('file:///etc/passwd')).toBe(false);
    expect(isSlackFileUrl('not a url')).toBe(false);
  });

  it('accepts an extra host only when named, with its port', () => {
    expect(isSlackFileUrl('http://127.0.0.1:4000/files-pri/x.png')).toBe(false);
    expect(isSlackFileUrl('http://127.0.0.1:4000/files-pri/x.png', ['127.0.0.1:4000'])).toBe(true);
    expect(isSlackFileUrl('http://127.0.0.1:4001/files-pri/x.png', ['127.0.0.1:4000'])).toBe(false);
  });
});

describe('downloadSlackFile', () => {
  const fake = new FakeSlack({ botToken: BOT_TOKEN });
  let other: Server;
  let otherHits = 0;
  let otherHost = '';

  beforeAll(async () => {
    await fake.start();
    other = createServer((req, res) => {
      otherHits++;
      if (req.url === '/slow') {
        res.setHeader('content-type', 'image/png');
        res.write(Buffer.alloc(10));
        return; // never ends
      }
      if (req.url === '/redirect-away') {
        res.statusCode = 302;
        res.setHeader('location', 'https://evil.example/steal');
        res.end();
        return;
      }
      res.end('hello');
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    otherHost = `127.0.0.1:${(other.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    other.closeAllConnections();
    await new Promise<void>((r) => other.close(() => r()));
    await fake.stop();
  });

  const limits = () => ({ maxBytes: 4096, timeoutMs: 2000, extraHosts: [fake.host, otherHost] });

  it('fetches a file with the bot token as Authorization', async () => {
    const png = await testPng(8, 8);
    const f = fake.addFile({ name: 'a.png', bytes: png });
    const got = await downloadSlackFile(f, BOT_TOKEN, limits());
    expect(Buffer.compare(got, png)).toBe(0);
    expect(fake.fileRequests.at(-1)?.authorization).toBe(`Bearer ${BOT_TOKEN}`);
  });

  it('refuses a file whose declared size is over the limit before any request', async () => {
    const f = fake.addFile({ name: 'big.png', bytes: Buffer.alloc(10), size: 5000 });
    const before = fake.fileRequests.length;
    await expect(downloadSlackFile(f, BOT_TOKEN, limits())).rejects.toThrow('big.png is 5 KB; the limit is 4 KB');
    expect(fake.fileRequests).toHaveLength(before);
  });

  it('refuses more bytes than the limit when the declared size lied (content-length, then while streaming)', async () => {
    const f = fake.addFile({ name: 'liar.png', bytes: Buffer.alloc(20_000, 7), size: 100 });
    await expect(downloadSlackFile(f, BOT_TOKEN, limits())).rejects.toThrow('liar.png is 20 KB; the limit is 4 KB');
    const streamed = fake.addFile({ name: 'streamed.png', bytes: Buffer.alloc(20_000, 7), size: 100, chunked: true });
    await expect(downloadSlackFile(streamed, BOT_TOKEN, limits())).rejects.toThrow('streamed.png is larger than the limit of 4 KB');
  });

  it('reports a login page (no or wrong token) instead of treating it as the file', async () => {
    const f = fake.addFile({ name: 'private.png', bytes: Buffer.alloc(10) });
    await expect(downloadSlackFile(f, 'xoxb-wrong', limits())).rejects.toThrow('login page');
  });

  it('never sends the token to a host outside the allowlist, nor follows redirects off it', async () => {
    const outside = { id: 'F1', name: 'x.png', mimetype: 'image/png', size: 10, url_private: 'https://evil.example/x.png' };
    await expect(downloadSlackFile(outside, BOT_TOKEN, limits())).rejects.toThrow('not hosted by Slack');
    const hits = otherHits;
    const away = { id: 'F2', name: 'y.png', mimetype: 'image/png', size: 10, url_private: `http://${otherHost}/redirect-away` };
    await expect(downloadSlackFile(away, BOT_TOKEN, limits())).rejects.toThrow('redirected');
    expect(otherHits).toBe(hits + 1);
  });

  it('gives up on a download that takes too long', async () => {
    const slow = { id: 'F3', name: 'slow.png', mimetype: 'image/png', size: 10, url_private: `http://${otherHost}/slow` };
    const err = await downloadSlackFile(slow, BOT_TOKEN, { ...limits(), timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as Error).message).toContain('took longer than');
  });
});
