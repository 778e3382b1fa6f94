// End to end through the real entry point: `src/main.ts` runs as a child process with Discord
// credentials pointed at the local fake Discord (127.0.0.1) and the tiny test model.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeDiscord, type RecordedRequest } from '../discord/fake-discord.ts';
import { FakeSlack } from '../slack/fake-slack.ts';
import { APP_TOKEN, BOT_TOKEN } from '../slack/helpers.ts';
import { startEntry, type EntryProcess } from './entry-helpers.ts';

const started: EntryProcess[] = [];
const fakes: FakeDiscord[] = [];

afterEach(async () => {
  for (const p of started.splice(0)) await p.stop();
  for (const f of fakes.splice(0)) await f.close();
});

async function newFake(): Promise<FakeDiscord> {
  const fake = new FakeDiscord({ heartbeatIntervalMs: 1000 });
  await fake.start();
  fakes.push(fake);
  return fake;
}

function entry(env: Record<string, string>): EntryProcess {
  const p = startEntry(env);
  started.push(p);
  return p;
}

/** A TCP port free at the time of the call. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

const discordEnv = (fake: FakeDiscord, token = fake.token) => ({
  DISCORD_TOKEN: token,
  DISCORD_APP_ID: fake.appId,
  DISCORD_API_BASE: fake.apiBase,
});
const logins = (fake: FakeDiscord) => fake.requests.filter((r) => r.method === 'GET' && r.path === '/gateway/bot');

describe('npm start with Discord against the fake', () => {
  it('logs in and answers /imagine with the result posted to Discord', async () => {
    const fake = await newFake();
    const p = entry({ ...discordEnv(fake), PROGRESS_INTERVAL_MS: '0' });
    await p.waitForLine(/Discord adapter started/, 60_000);
    await fake.ready(30_000);

    const it1 = fake.sendCommand({ name: 'imagine', options: { prompt: 'a rocket ship', seed: 3, steps: 4 }, userId: '500000000000000001' });
    const callback = await fake.waitForRequest((r) => r.method === 'POST' && r.path.startsWith(`/interactions/${it1.id}/`), 10_000, 'deferral');
    expect(callback.status).toBe(204);
    const final = await fake.waitForRequest(
      (r: RecordedRequest) =>
        r.method === 'PATCH' && r.path.endsWith(`/${it1.token}/messages/@original`) && r.files.some((f) => f.filename.endsWith('.png') && f.filename !== 'preview.png'),
      90_000,
      'result upload',
    );
    expect(String(final.json?.content)).toContain('**imagine**');
    const posted = fake.messages.get(it1.originalId!)!.attachments.map((a) => a.filename);
    expect(posted.some((f) => /^imagine-[a-z0-9]+\.png$/.test(f))).toBe(true);
    expect(p.output()).not.toContain(fake.token);
  }, 180_000);

  it('a rejected login keeps the process up: one line per failure, retries with a growing wait, health still served', async () => {
    const fake = await newFake();
    const metricsPort = await freePort();
    const p = entry({ ...discordEnv(fake, 'not-the-token.abc'), ADAPTER_RETRY_MS: '300', METRICS_PORT: String(metricsPort) });
    await p.waitForLine(/Discord adapter could not start: .*retrying in 0\.6 s/, 60_000);
    const failures = p.lines.filter((l) => l.includes('Discord adapter could not start'));
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures[0]).toMatch(/could not start: An invalid token was provided; retrying in 0\.3 s/);
    // One line per failure: no stack trace follows, and the token never appears.
    expect(p.output()).not.toMatch(/^\s+at /m);
    expect(p.output()).not.toContain('not-the-token.abc');
    expect(logins(fake).length).toBeGreaterThanOrEqual(2);
    expect(logins(fake).every((r) => r.status === 401)).toBe(true);

    await p.waitForLine(/health and metrics on/, 30_000);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/healthz`);
    expect(res.status).toBe(200);
    expect(p.child.exitCode).toBeNull();
  }, 120_000);

  it('logs in on a retry once Discord accepts the token again, and then serves commands', async () => {
    const fake = await newFake();
    fake.rejectLogins = 2;
    const p = entry({ ...discordEnv(fake), ADAPTER_RETRY_MS: '200' });
    await p.waitForLine(/Discord adapter started/, 60_000);
    expect(p.lines.filter((l) => l.includes('Discord adapter could not start'))).toHaveLength(2);
    await fake.ready(30_000);
    const help = fake.sendCommand({ name: 'help', userId: '500000000000000002' });
    const reply = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path.endsWith(`/${help.token}/messages/@original`), 20_000, 'help');
    expect(String(reply.json?.content)).toContain('/imagine');
  }, 120_000);

  it('Slack rejecting its bot token leaves Discord running, and Slack keeps retrying', async () => {
    const fake = await newFake();
    const slack = new FakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
    await slack.start();
    try {
      const wrongBotToken = 'xoxb-9999-8888-WRONGbotTOKEN';
      const p = entry({
        ...discordEnv(fake),
        SLACK_BOT_TOKEN: wrongBotToken,
        SLACK_APP_TOKEN: APP_TOKEN,
        SLACK_API_URL: slack.apiUrl,
        ADAPTER_RETRY_MS: '200',
      });
      await p.waitForLine(/Discord adapter started/, 60_000);
      await p.waitForLine(/Slack adapter could not start: .*invalid_auth.*retrying in 0\.4 s/, 30_000);
      await fake.ready(30_000);
      const help = fake.sendCommand({ name: 'help', userId: '500000000000000003' });
      const reply = await fake.waitForRequest((r) => r.method === 'PATCH' && r.path.endsWith(`/${help.token}/messages/@original`), 20_000, 'help');
      expect(String(reply.json?.content)).toContain('/imagine');
      expect(p.child.exitCode).toBeNull();
      expect(p.output()).not.toContain(wrongBotToken);
      expect(p.output()).not.toMatch(/^\s+at /m);
      // One line per failed attempt: Bolt's own auth.test must not add a stray rejection.
      expect(p.output()).not.toContain('unhandled promise rejection');
    } finally {
      await slack.stop();
    }
  }, 120_000);

  it('SIGTERM during the wait before a retry exits with code 0 and tries no more', async () => {
    const fake = await newFake();
    const p = entry({ ...discordEnv(fake, 'not-the-token.abc'), ADAPTER_RETRY_MS: '60000' });
    await p.waitForLine(/Discord adapter could not start: .*retrying in 1 min/, 60_000);
    const before = logins(fake).length;
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(logins(fake).length).toBe(before);
  }, 120_000);
});
