// A fake Discord, an engine and a DiscordAdapter logged in to the fake: the setup shared by the
// Discord test files that need nothing more special.
import { DiscordAdapter, type DiscordAdapterOptions } from '../../src/adapters/discord/index.ts';
import type { Config } from '../../src/config.ts';
import { createEngine, type LocalEngine } from '../../src/engine/index.ts';
import { testConfig } from '../engine/helpers.ts';
import { FakeDiscord } from './fake-discord.ts';

/** The running trio; close() stops them in reverse order. */
export interface DiscordHarness {
  fake: FakeDiscord;
  engine: LocalEngine;
  adapter: DiscordAdapter;
  config: Config;
  close(): Promise<void>;
}

/** Starts the fake, an engine on `env` (test config plus the fake's token and API base) and a ready adapter. */
export async function startDiscordHarness(
  env: Record<string, string> = {},
  options: (fake: FakeDiscord) => DiscordAdapterOptions = () => ({}),
): Promise<DiscordHarness> {
  const fake = new FakeDiscord({ heartbeatIntervalMs: 400 });
  await fake.start();
  const config = testConfig({
    DISCORD_TOKEN: fake.token,
    DISCORD_APP_ID: fake.appId,
    DISCORD_API_BASE: fake.apiBase,
    ...env,
  });
  const engine = createEngine(config, { defaultMetrics: false });
  await engine.start();
  const adapter = new DiscordAdapter(engine, config, { minEditIntervalMs: 50, ...options(fake) });
  await adapter.start();
  await adapter.ready();
  const h: DiscordHarness = {
    fake,
    engine,
    adapter,
    config,
    async close() {
      await h.adapter.stop();
      await engine.close();
      await fake.close();
    },
  };
  return h;
}
