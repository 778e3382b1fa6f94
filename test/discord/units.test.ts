import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachmentError,
  checkAccess,
  checkAttachment,
  customId,
  downloadAttachment,
  isModerator,
  jobIdOfMessage,
  parseCustomId,
  restOptions,
  safeError,
  scrub,
} from '../../src/adapters/discord/index.ts';
import { JobView } from '../../src/adapters/discord/job-view.ts';
import type { Payload } from '../../src/adapters/discord/messages.ts';
import type { Engine, JobEvent, JobEventListener, JobSpec } from '../../src/jobs/api.ts';

let server: Server;
let host = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/big') {
      // Lies about nothing but sends 3 chunks of 1000 bytes without a length.
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(Buffer.alloc(1000));
      res.write(Buffer.alloc(1000));
      res.end(Buffer.alloc(1000));
    } else if (req.url === '/slow') {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(Buffer.alloc(10));
      // never ends
    } else if (req.url === '/redirect') {
      res.writeHead(302, { location: 'http://example.com/x.png' });
      res.end();
    } else {
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': '4' });
      res.end(Buffer.from([1, 2, 3, 4]));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const att = (path: string, over: Partial<{ size: number; contentType: string | null; name: string; url: string }> = {}) => ({
  url: `http://${host}${path}`,
  name: 'a.png',
  size: 4,
  contentType: 'image/png',
  ...over,
});
const policy = () => ({ maxBytes: 2500, timeoutMs: 300, extraHosts: [host] });

describe('attachments', () => {
  it('accepts only Discord hosts over https (plus configured test hosts)', () => {
    const p = { maxBytes: 1000, timeoutMs: 1000 };
    expect(checkAttachment({ url: 'https://cdn.discordapp.com/attachments/1/2/a.png', name: 'a.png', size: 10, contentType: 'image/png' }, p).hostname).toBe('cdn.discordapp.com');
    expect(checkAttachment({ url: 'https://media.discordapp.net/attachments/1/2/a.png', name: 'a.png', size: 10, contentType: 'image/png' }, p).hostname).toBe(
      'media.discordapp.net',
    );
    for (const url of ['http://cdn.discordapp.com/a.png', 'https://cdn.discordapp.com.evil.com/a.png', 'https://evil.com/a.png', 'https://127.0.0.1/a.png', 'file:///etc/passwd']) {
      expect(() => checkAttachment({ url, name: 'a.png', size: 10, contentType: 'image/png' }, p), url).toThrow(/only fetch images uploaded to Discord/);
    }
  });

  it('checks declared size and content type before downloading', () => {
    expect(() => checkAttachment(att('/x', { size: 3 * 1024 * 1024 }), { ...policy(), maxBytes: 1024 * 1024 })).toThrow('The image "a.png" is 3.0 MiB; the limit is 1.0 MiB.');
    expect(() => checkAttachment(att('/x', { contentType: 'application/pdf', name: 'doc.pdf' }), policy())).toThrow(/not an image I can read \(application\/pdf\)/);
    expect(checkAttachment(att('/x', { contentType: null, name: 'photo.JPG' }), policy()).pathname).toBe('/x');
    expect(() => checkAttachment(att('/x', { contentType: null, name: 'notes.txt' }), policy())).toThrow(/unknown type/);
  });

  it('downloads, and caps the body, the time and redirects', async () => {
    expect([...(await downloadAttachment(att('/ok'), policy()))]).toEqual([1, 2, 3, 4]);
    await expect(downloadAttachment(att('/big'), policy())).rejects.toThrow('The image is larger than 2 KiB.');
    await expect(downloadAttachment(att('/slow'), policy())).rejects.toThrow(/took too long/);
    await expect(downloadAttachment(att('/redirect'), policy())).rejects.toBeInstanceOf(AttachmentError);
  });
});

describe('access', () => {
  const base = { allowedChannels: [] as string[], allowedRoles: [] as string[], allowDms: false, adminUserIds: ['99'] };
  const caller = { userId: '1', guildId: 'g', channelId: 'c1', parentChannelId: null, roleIds: ['r1'] };
  it('applies DMs, channel and role allowlists', () => {
    expect(checkAccess(base, caller)).toEqual({ ok: true });
    expect(checkAccess(base, { ...caller, guildId: null })).toMatchObject({ ok: false, message: expect.stringMatching(/direct messages/) });
    expect(checkAccess({ ...base, allowDms: true }, { ...caller, guildId: null })).toEqual({ ok: true });
    expect(checkAccess({ ...base, allowedChannels: ['c2'] }, caller)).toMatchObject({ ok: false });
    expect(checkAccess({ ...base, allowedChannels: ['c2'] }, { ...caller, channelId: 't', parentChannelId: 'c2' })).toEqual({ ok: true });
    expect(checkAccess({ ...base, allowedRoles: ['r2'] }, caller)).toMatchObject({ ok: false, message: expect.stringMatching(/roles/) });
    expect(checkAccess({ ...base, allowedRoles: ['r2'] }, { ...caller, userId: '99' })).toEqual({ ok: true });
    expect(isModerator(base, '1', false)).toBe(false);
    expect(isModerator(base, '1', true)).toBe(true);
    expect(isModerator(base, '99', false)).toBe(true);
  });
});

describe('messages and logs', () => {
  it('custom ids round-trip and locate the job of a message', () => {
    expect(parseCustomId(customId('regen', 'abc123'))).toEqual({ action: 'regen', jobId: 'abc123' });
    expect(parseCustomId('other:regen:abc')).toBeNull();
    expect(jobIdOfMessage({ content: '', components: [{ type: 1, components: [{ type: 2, custom_id: 'diffuse:delete:k3x9' }] }] })).toBe('k3x9');
    expect(jobIdOfMessage({ content: 'seed 1\njob `zz99`', components: [] })).toBe('zz99');
    expect(jobIdOfMessage({ content: 'hello', components: [] })).toBeNull();
  });

  it('scrubs interaction tokens and bot tokens from log text', () => {
    const text = 'PATCH https://discord.com/api/v10/webhooks/123/aW50ZXJhY3Rpb246MTIz/messages/@original and /interactions/5/tok-en_1/callback';
    expect(scrub(text)).toBe('PATCH https://discord.com/api/v10/webhooks/123/[token]/messages/@original and /interactions/5/[token]/callback');
    expect(scrub('bad MTA5ODc2NTQzMjEwOTg3NjU0MzI.GhIjKl.abcdefghijklmnopqrstuvwxyz012345 token')).toBe('bad [token] token');
    const err = Object.assign(new Error('Unknown interaction at /interactions/1/secret/callback'), { code: 10062, status: 404, url: 'x/secret' });
    expect(safeError(err)).toEqual({ name: 'Error', code: 10062, status: 404, message: 'Unknown interaction at /interactions/1/[token]/callback' });
  });

  it('reads the REST base', () => {
    expect(restOptions()).toEqual({});
    expect(restOptions('http://127.0.0.1:9/api/')).toEqual({ api: 'http://127.0.0.1:9/api' });
    expect(restOptions('https://proxy.local/api/v10')).toEqual({ api: 'https://proxy.local/api', version: '10' });
  });
});

describe('job view', () => {
  it('lets go of a finished job whose end is replayed while it subscribes', async () => {
    // As the engine does: subscribe replays a finished job's terminal event before it returns.
    const listeners = new Set<JobEventListener>();
    const end: JobEvent = { type: 'cancelled', jobId: 'j1', owner: { platform: 'discord', userId: '1' }, by: null };
    const engine = {
      subscribe(_jobId: string, listener: JobEventListener) {
        listeners.add(listener);
        listener(end);
        return () => listeners.delete(listener);
      },
    } as unknown as Engine;
    const shown: Payload[] = [];
    const target = { show: async (p: Payload) => (shown.push(p), { channelId: 'c', messageId: 'm' }) };
    const spec = { technique: 'imagine', prompt: 'a cat' } as JobSpec;
    const view = new JobView(engine, 'j1', spec, target).start();
    await view.finished;
    expect(listeners.size).toBe(0);
    expect(shown.map((p) => p.content)).toEqual(['**imagine** "a cat"\nCancelled. (job `j1`)']);
  });
});

describe('result attachments', () => {
  it('title the GIF by what it shows: the noising steps for /noise, the denoising trajectory otherwise', async () => {
    const { resultPayload } = await import('../../src/adapters/discord/messages.ts');
    const result = (technique: string) =>
      ({
        jobId: 'j1',
        model: 'test-tiny',
        spec: { technique, seed: 1, steps: 2, guidance: 1, t: [250], method: 'all', prompt: 'a cat' },
        timings: { queuedMs: 0, totalMs: 10, modelMs: 5, perStepMs: 1 },
        prompts: [],
        understood: [],
        unknown: [],
        files: { png: '', rawPng: '', gif: '', width: 64, height: 64, gifFrames: 2, gifBytes: 10 },
      }) as unknown as Parameters<typeof resultPayload>[0];
    const gifOf = (p: Payload) => p.files!.find((f) => String(f.name).endsWith('.gif'))!.description;
    expect(gifOf(resultPayload(result('noise'), Buffer.from('png'), Buffer.from('gif')))).toBe('noising steps');
    expect(gifOf(resultPayload(result('imagine'), Buffer.from('png'), Buffer.from('gif')))).toBe('denoising trajectory');
  });
});
