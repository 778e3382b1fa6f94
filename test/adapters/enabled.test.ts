import { describe, expect, it } from 'vitest';
import { enabledAdapters } from '../../src/adapters/enabled.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('adapters that npm start runs', () => {
  it('runs the playground alone without chat credentials', () => {
    expect(enabledAdapters(loadConfig({}))).toEqual(['playground']);
  });

  it('runs every configured chat platform and no playground', () => {
    const config = loadConfig({ DISCORD_TOKEN: 'd', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' });
    expect(enabledAdapters(config)).toEqual(['discord', 'slack']);
    const http = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_MODE: 'http', SLACK_SIGNING_SECRET: 's' });
    expect(enabledAdapters(http)).toEqual(['slack']);
  });

  it('refuses a half-configured Slack instead of silently skipping it', () => {
    expect(() => enabledAdapters(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' }))).toThrow(ConfigError);
    expect(() => enabledAdapters(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' }))).toThrow(/SLACK_APP_TOKEN/);
    expect(() => enabledAdapters(loadConfig({ SLACK_MODE: 'http', SLACK_BOT_TOKEN: 'x' }))).toThrow(
      /SLACK_SIGNING_SECRET/,
    );
    expect(() => enabledAdapters(loadConfig({ SLACK_APP_TOKEN: 'xapp-1' }))).toThrow(/SLACK_BOT_TOKEN/);
  });
});
