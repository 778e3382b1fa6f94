// Registers the slash commands with Discord: a bulk overwrite of the guild's commands (instant)
// or the global ones (may take a while to show). The token is used, never printed.
import { REST, Routes } from 'discord.js';
import { commandDefinitions, type BuildOptions } from './builders.ts';
import { restOptions } from './rest-base.ts';

export interface RegisterOptions extends BuildOptions {
  token: string;
  appId: string;
  /** Register in this guild only; global when absent. */
  guildId?: string;
  /** REST base URL (DISCORD_API_BASE). */
  apiBase?: string;
}

/** PUTs every command definition; resolves with the names Discord returned. */
export async function registerCommands(options: RegisterOptions): Promise<{ scope: string; names: string[] }> {
  const rest = new REST(restOptions(options.apiBase)).setToken(options.token);
  const body = commandDefinitions(options);
  const route = options.guildId ? Routes.applicationGuildCommands(options.appId, options.guildId) : Routes.applicationCommands(options.appId);
  const res = (await rest.put(route, { body })) as { name: string }[];
  return { scope: options.guildId ? `guild ${options.guildId}` : 'global', names: res.map((c) => c.name) };
}
