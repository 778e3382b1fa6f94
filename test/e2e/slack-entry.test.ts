// The real entry point (`src/main.ts`, what `npm start` runs) as a child process under Node's own
// ESM loader, with Slack credentials pointed at the local fake: Socket Mode and HTTP mode each
// run /imagine on the tiny model to a PNG + GIF uploaded into the thread, and stop cleanly on SIGTERM.
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSlack } from '../slack/fake-slack.ts';
import { APP_TOKEN, BOT_TOKEN, SECRETS, SIGNING_SECRET, postSigned, slashCommandForm } from '../slack/helpers.ts';
import { startEntry, type EntryProcess } from './entry-helpers.ts';

const FORM = 'application/x-www-form-urlencoded';

describe('npm start with Slack credentials', () => {
  let fake: FakeSlack | undefined;
  let proc: EntryProcess | undefined;

  afterEach(async () => {
    await proc?.stop();
    await fake?.stop();
    proc = undefined;
    fake = undefined;
  });

  const slackEnv = (f: FakeSlack, env: Record<string, string>) => ({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: f.apiUrl,
    PROGRESS_INTERVAL_MS: '0',
    GIF_SIZE: '64',
    DISPLAY_SIZE: '128',
    ...env,
  });

  /** The checks both modes share once the result is in the fake: files in the thread, no secret logged, a clean exit. */
  const expectResult = async (f: FakeSlack, p: EntryProcess, channel: string, prompt: string) => {
    const complete = await f.waitFor(() => f.callsOf('files.completeUploadExternal')[0], 60_000, 'the result upload');
    const status = f.messagesOf(channel).find((m) => m.metadata?.event_type === 'diffuse_job')!;
    expect(status).toBeDefined();
    expect(complete.args.channel_id).toBe(channel);
    expect(complete.args.thread_ts).toBe(status.ts);
    expect(String(complete.args.initial_comment)).toContain(`*imagine* "${prompt}"`);
    const names = f.callsOf('files.getUploadURLExternal').map((c) => String(c.args.filename));
    expect(names.some((n) => n.endsWith('.png'))).toBe(true);
    expect(names.some((n) => n.endsWith('.gif'))).toBe(true);
    for (const id of (JSON.parse(String(complete.args.files)) as { id: string }[]).map((x) => x.id)) {
      expect(f.uploads.get(id)?.bytes?.length).toBeGreaterThan(0);
    }
    const code = await p.stop();
    expect(code).toBe(0);
    for (const s of SECRETS) expect(p.output()).not.toContain(s);
  };

  it('Socket Mode: connects with the app token and answers /imagine over the socket', async () => {
    fake = new FakeSlack({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
    await fake.start();
    proc = startEntry(slackEnv(fake, { SLACK_APP_TOKEN: APP_TOKEN, SLACK_MODE: 'socket' }));
    await proc.waitForLine(/Slack adapter started \(socket mode\)/, 60_000);
    const f = fake;
    await f.waitFor(() => f.socketCount > 0, 10_000, 'the Socket Mode connection');
    expect(f.callsOf('apps.connections.open')[0]?.token).toBe(APP_TOKEN);
    f.sendEnvelope({
      envelope_id: 'entry-imagine',
      type: 'slash_commands',
      accepts_response_payload: true,
      payload: {
        team_id: f.teamId,
        channel_id: 'CENTRY01',
        user_id: 'UUSER001',
        user_name: 'alice',
        command: '/imagine',
        text: 'a lighthouse --steps 2 --seed 4',
        api_app_id: 'A0000001',
        response_url: f.responseUrl('entry-socket'),
        trigger_id: 'trig.entry',
      },
    });
    await f.waitFor(() => f.socketMessages.find((m) => m.envelope_id === 'entry-imagine'), 10_000, 'the envelope ack');
    await expectResult(f, proc, 'CENTRY01', 'a lighthouse');
  }, 120_000);

  it('Socket Mode with a rejected app token: one clear line per attempt, retries, stays up', async () => {
    fake = new FakeSlack({ botToken: BOT_TOKEN, appToken: 'xapp-1-A1-9999-theRIGHTone' });
    await fake.start();
    proc = startEntry(slackEnv(fake, { SLACK_APP_TOKEN: APP_TOKEN, SLACK_MODE: 'socket', ADAPTER_RETRY_MS: '200' }));
    const line = await proc.waitForLine(/Slack adapter could not start/, 60_000);
    expect(line).toContain('Slack rejected the app-level token (apps.connections.open: invalid_auth); check SLACK_APP_TOKEN');
    const f = fake;
    await f.waitFor(() => f.callsOf('apps.connections.open').length >= 2, 20_000, 'a second attempt');
    expect(proc.child.exitCode).toBeNull();
    for (const s of SECRETS) expect(proc.output()).not.toContain(s);
    expect(await proc.stop()).toBe(0);
  }, 120_000);

  it('HTTP mode: listens on SLACK_HOST and answers a signed /imagine', async () => {
    fake = new FakeSlack({ botToken: BOT_TOKEN });
    await fake.start();
    proc = startEntry(slackEnv(fake, { SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_MODE: 'http', SLACK_PORT: '0', SLACK_HOST: '127.0.0.1' }));
    const line = await proc.waitForLine(/"msg":"slack bot started"/, 60_000);
    const started = JSON.parse(line) as { host: string; port: number; mode: string };
    expect(started).toMatchObject({ mode: 'http', host: '127.0.0.1' });
    expect(started.port).toBeGreaterThan(0);
    const url = `http://127.0.0.1:${started.port}/slack/events`;
    const body = slashCommandForm(fake, { command: '/imagine', text: 'a red heart --steps 2 --seed 9', channel: 'CENTRY02', responseId: 'entry-http' });
    const res = await postSigned(url, body, FORM);
    expect(res.status).toBe(200);
    await expectResult(fake, proc, 'CENTRY02', 'a red heart');
  }, 120_000);
});
