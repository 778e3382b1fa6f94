// Shared helpers of the Slack tests: a config pointed at the fake, signed requests as Slack
// sends them (v0 HMAC-SHA256 of "v0:<timestamp>:<body>"), payload builders, a log capture, and
// a bot + engine on the tiny test model.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { loadConfig, type Config } from '../../src/config.ts';
import { createEngine, type LocalEngine } from '../../src/engine/engine.ts';
import { createLogger, type Logger } from '../../src/jobs/logger.ts';
import { startSlackBot, type SlackBot, type SlackBotOptions } from '../../src/adapters/slack/index.ts';
import type { FakeSlack } from './fake-slack.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BOT_TOKEN = 'xoxb-1111-2222-SECRETbotTOKEN';
export const APP_TOKEN = 'xapp-1-A1-3333-SECRETappTOKEN';
export const SIGNING_SECRET = 'SECRETsigning0123456789abcdef';
export const SECRETS = [BOT_TOKEN, APP_TOKEN, SIGNING_SECRET];

/** A config for the Slack tests: fresh DATA_DIR, the tiny model, the fake's API URL. */
export function slackTestConfig(fake: FakeSlack, env: Record<string, string> = {}): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'diffuse-slack-'));
  return loadConfig({
    DATA_DIR: dataDir,
    MODEL: 'test-tiny',
    MODELS_DIR: path.join(ROOT, 'models'),
    LOG_LEVEL: 'debug',
    METRICS_PORT: '0',
    PROGRESS_INTERVAL_MS: '0',
    GIF_SIZE: '64',
    DISPLAY_SIZE: '128',
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_APP_TOKEN: APP_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_MODE: 'http',
    SLACK_API_URL: fake.apiUrl,
    ADMIN_USER_IDS: 'UADMIN01',
    ...env,
  });
}

/** A debug-level logger whose lines are collected in `text()` (to check that no secret is ever logged). */
export function captureLogger(): { logger: Logger; text(): string } {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out += String(chunk);
      cb();
    },
  });
  return { logger: createLogger('debug', sink), text: () => out };
}

/** A bot and engine pair on the fake. */
export interface Harness {
  config: Config;
  engine: LocalEngine;
  bot: SlackBot;
  logs(): string;
  /** http://127.0.0.1:port/slack/events (HTTP mode). */
  eventsUrl: string;
  /** Stops the bot and starts a new one on the same engine (as after a restart of the adapter). */
  restartBot(): Promise<void>;
  close(): Promise<void>;
}

/** Starts an engine (tiny model) and the Slack bot on the fake; the engine starts after the bot subscribed. */
export async function startHarness(
  fake: FakeSlack,
  env: Record<string, string> = {},
  options: SlackBotOptions = {},
): Promise<Harness> {
  const config = slackTestConfig(fake, env);
  const capture = captureLogger();
  const engine = createEngine(config, { defaultMetrics: false, logger: capture.logger });
  const start = () =>
    startSlackBot(config, engine, {
      logger: capture.logger,
      port: 0,
      host: '127.0.0.1',
      extraFileHosts: [fake.host],
      ...options,
    });
  const bot = await start();
  await engine.start();
  const h: Harness = {
    config,
    engine,
    bot,
    logs: capture.text,
    eventsUrl: `http://127.0.0.1:${bot.port}/slack/events`,
    async restartBot() {
      await h.bot.stop();
      h.bot = await start();
      h.eventsUrl = `http://127.0.0.1:${h.bot.port}/slack/events`;
    },
    async close() {
      await h.bot.stop();
      await engine.close();
    },
  };
  return h;
}

/** Headers of a request signed as Slack signs it. */
export function signedHeaders(
  body: string,
  opts: { secret?: string; timestamp?: number; contentType: string },
): Record<string, string> {
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const sig = createHmac('sha256', opts.secret ?? SIGNING_SECRET)
    .update(`v0:${ts}:${body}`)
    .digest('hex');
  return {
    'content-type': opts.contentType,
    'x-slack-request-timestamp': String(ts),
    'x-slack-signature': `v0=${sig}`,
  };
}

/** POSTs a signed body to the bot's request URL. */
export async function postSigned(
  url: string,
  body: string,
  contentType: string,
  opts: { secret?: string; timestamp?: number } = {},
): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: signedHeaders(body, { ...opts, contentType }) });
}

/** A slash command payload as Slack posts it (form encoded). */
export function slashCommandForm(
  fake: FakeSlack,
  o: { command: string; text: string; user?: string; channel?: string; responseId?: string },
): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: fake.teamId,
    team_domain: 'fake',
    channel_id: o.channel ?? 'C0000001',
    channel_name: 'general',
    user_id: o.user ?? 'UUSER001',
    user_name: 'alice',
    command: o.command,
    text: o.text,
    api_app_id: 'A0000001',
    response_url: fake.responseUrl(o.responseId ?? `r${randomBytes(4).toString('hex')}`),
    trigger_id: `trig.${randomBytes(4).toString('hex')}`,
  }).toString();
}

/** An Events API event_callback body (JSON). */
export function eventCallback(fake: FakeSlack, event: Record<string, unknown>): string {
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: fake.teamId,
    api_app_id: 'A0000001',
    event: { event_ts: fake.nextTs(), ...event },
    type: 'event_callback',
    event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: fake.teamId, user_id: fake.botUserId, is_bot: true }],
  });
}

/** An interactivity payload (shortcut, view_submission) as Slack posts it: form field `payload` with JSON. */
export function interactionForm(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** The form of a block_actions interaction: `user` presses the follow-up button `actionId` on the status message `ts` in `channel`. */
export function buttonPressForm(o: {
  teamId: string;
  user: string;
  channel: string;
  ts: string;
  text: string;
  actionId: string;
  triggerId: string;
}): string {
  return interactionForm({
    type: 'block_actions',
    team: { id: o.teamId, domain: 'fake' },
    user: { id: o.user, name: 'someone' },
    api_app_id: 'A0000001',
    token: 'legacy-verification-token',
    trigger_id: o.triggerId,
    container: { type: 'message', message_ts: o.ts, channel_id: o.channel },
    channel: { id: o.channel, name: 'art' },
    message: { type: 'message', ts: o.ts, text: o.text },
    actions: [
      {
        type: 'button',
        action_id: o.actionId,
        block_id: 'follow-ups-0',
        value: o.actionId,
        action_ts: '1.1',
      },
    ],
  });
}

/** A w x h PNG with a gradient. */
export async function testPng(w = 48, h = 40): Promise<Buffer> {
  const px = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      px[i] = Math.round((255 * x) / (w - 1));
      px[i + 1] = Math.round((255 * y) / (h - 1));
      px[i + 2] = 120;
    }
  }
  return sharp(px, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
}
