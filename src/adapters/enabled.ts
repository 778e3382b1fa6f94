// Runs in the bot's process.
// Which adapters `npm start` runs: every chat platform whose credentials are set, and the playground
// when none is (PLAYGROUND=auto), always (on) or never (off).
import { ConfigError, type Config } from '../config.ts';

export type AdapterName = 'discord' | 'slack' | 'playground';

/** Which adapters the configuration enables, in start order; throws ConfigError for a half-configured one. */
export function enabledAdapters(config: Config): AdapterName[] {
  const out: AdapterName[] = [];
  if (config.discord.token) out.push('discord');
  const slack = config.slack;
  if (slack.botToken || slack.appToken || slack.signingSecret) {
    const missing = [
      !slack.botToken && 'SLACK_BOT_TOKEN',
      slack.mode === 'socket' && !slack.appToken && 'SLACK_APP_TOKEN (Socket Mode)',
      slack.mode === 'http' && !slack.signingSecret && 'SLACK_SIGNING_SECRET (HTTP mode)',
    ].filter(Boolean);
    if (missing.length > 0) throw new ConfigError(`Slack is half configured: set ${missing.join(' and ')}.`);
    out.push('slack');
  }
  const mode = config.playground.mode;
  if (mode === 'on' || (mode === 'auto' && out.length === 0)) out.push('playground');
  if (out.length === 0)
    throw new ConfigError('PLAYGROUND=off and no chat platform is configured: set DISCORD_TOKEN or the Slack tokens, or let the playground run.');
  return out;
}
