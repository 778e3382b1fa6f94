// What an operator reads when starting the real entry point (`dist/src/main.js` as a child
// process): one start-up line per adapter, PLAYGROUND=on beside a chat adapter, Slack unreachable
// told apart from a rejected token, and LOG_FORMAT=pretty lines instead of JSON.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { APP_TOKEN, BOT_TOKEN } from '../slack/helpers.ts';
import { startEntry, type EntryProcess } from './entry-helpers.ts';

/** A 127.0.0.1 port with nothing listening on it (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

describe('start-up lines of npm start', () => {
  let proc: EntryProcess | undefined;
  afterEach(async () => {
    await proc?.stop();
    proc = undefined;
  });

  const unreachableSlack = async (env: Record<string, string> = {}) => ({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_APP_TOKEN: APP_TOKEN,
    SLACK_API_URL: `http://127.0.0.1:${await closedPort()}/api/`,
    ADAPTER_RETRY_MS: '200',
    ...env,
  });

  it('Slack unreachable: the plan lines, then "unreachable" (not a rejected token) on the first attempt, retried', async () => {
    proc = startEntry(await unreachableSlack());
    await proc.waitForLine(/"msg":"Slack: connecting \(socket mode\)"/, 60_000);
    await proc.waitForLine(/"msg":"playground: off \(chat tokens set; PLAYGROUND=on to keep it\)"/, 5_000);
    const first = await proc.waitForLine(/Slack adapter could not start/, 30_000);
    expect(first).toMatch(/Slack is unreachable \(ECONNREFUSED\)/);
    expect(first).not.toMatch(/rejected/);
    // Retried with the adapters' backoff, each attempt one line.
    await proc.waitForLine(/"attempt":2,.*Slack is unreachable/, 30_000);
    expect(proc.output()).not.toContain(BOT_TOKEN);
    expect(proc.output()).not.toContain(APP_TOKEN);
  }, 120_000);

  it('PLAYGROUND=on runs the playground beside a chat adapter', async () => {
    proc = startEntry(await unreachableSlack({ PLAYGROUND: 'on', PLAYGROUND_PORT: '0' }));
    const line = await proc.waitForLine(/diffuse-bot playground: http/, 60_000);
    expect(line).toContain('PLAYGROUND=on');
    const url = /(http:\/\/\S+)/.exec(line)![1];
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(proc.output()).toContain('Slack: connecting');
    expect(proc.output()).not.toContain('playground: off');
  }, 120_000);

  it('PLAYGROUND=off with no chat platform is a bad setting (exit 2, one line)', async () => {
    proc = startEntry({ PLAYGROUND: 'off' });
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toMatch(/diffuse-bot: PLAYGROUND=off and no chat platform is configured/);
  }, 60_000);

  it('LOG_FORMAT=pretty writes readable lines (time, level, message, key=value), JSON by default on a pipe', async () => {
    proc = startEntry({ LOG_FORMAT: 'pretty', PLAYGROUND_PORT: '0' });
    const ready = await proc.waitForLine(/ INFO {2}(engine|model|inference).*/, 60_000);
    expect(ready).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}/);
    expect(proc.lines.filter((l) => l.startsWith('{"level"'))).toEqual([]);
    await proc.stop();
    proc = startEntry({ PLAYGROUND_PORT: '0' });
    await proc.waitForLine(/^\{"level":30,/, 60_000);
  }, 120_000);
});
