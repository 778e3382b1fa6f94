// The discord.js client as the bot uses it: only the intents it needs (guilds, reactions; DMs
// when enabled), partials so 🔁 works on messages from before a restart, mentions off by
// default, and the REST base from config (the gateway URL then comes from GET /gateway/bot).
import { Client, GatewayIntentBits, Partials } from 'discord.js';
import { NO_MENTIONS } from './messages.ts';
import { restOptions } from './rest-base.ts';

export interface ClientSettings {
  apiBase?: string;
  allowDms: boolean;
}

/** A discord.js Client configured for the bot (not logged in). */
export function createDiscordClient(settings: ClientSettings): Client {
  const intents = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessageReactions];
  if (settings.allowDms) intents.push(GatewayIntentBits.DirectMessages, GatewayIntentBits.DirectMessageReactions);
  return new Client({
    intents,
    partials: [Partials.Message, Partials.Channel, Partials.Reaction, Partials.User, Partials.GuildMember],
    allowedMentions: NO_MENTIONS,
    rest: restOptions(settings.apiBase),
  });
}
