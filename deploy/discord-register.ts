// Registers the bot's slash commands with Discord (npm run deploy:discord).
//   npm run deploy:discord                  guild commands when DISCORD_GUILD_ID is set, else global
//   npm run deploy:discord -- --guild ID    commands of one guild (show at once)
//   npm run deploy:discord -- --global      global commands (may take a while to show)
//   npm run deploy:discord -- --dry-run     print the JSON that would be sent; needs no token
// Settings come from the environment (DISCORD_TOKEN, DISCORD_APP_ID, DISCORD_GUILD_ID,
// DISCORD_API_BASE, DISCORD_ALLOW_DMS); the token is never printed. After registering it prints
// the invite URL with the permissions the bot needs (src/adapters/discord/permissions.ts).
import { pathToFileURL } from 'node:url';
import { commandDefinitions, inviteUrl, registerCommands, scrub } from '../src/adapters/discord/index.ts';
import { loadConfig } from '../src/config.ts';

/** Parsed command line of the deploy script. */
export interface DeployArgs {
  dryRun: boolean;
  global: boolean;
  guildId?: string;
  help: boolean;
}

const USAGE = 'usage: npm run deploy:discord -- [--guild ID | --global] [--dry-run]';

/** Parses the script's arguments; throws on unknown ones. */
export function parseDeployArgs(argv: readonly string[]): DeployArgs {
  const out: DeployArgs = { dryRun: false, global: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dry-run') out.dryRun = true;
    else if (a === '--global') out.global = true;
    else if (a === '--guild') {
      const v = argv[++i];
      if (!v || !/^\d+$/.test(v)) throw new Error('--guild needs a guild id');
      out.guildId = v;
    } else if (a.startsWith('--guild=')) out.guildId = a.slice('--guild='.length);
    else if (a === '--help' || a === '-h') out.help = true;
    else throw new Error(`unknown argument ${a}; ${USAGE}`);
  }
  if (out.global && out.guildId) throw new Error('give --guild or --global, not both');
  return out;
}

/** Runs the script: prints the definitions (--dry-run) or PUTs them; returns the exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv, out: (line: string) => void = console.log): Promise<number> {
  let args: DeployArgs;
  try {
    args = parseDeployArgs(argv);
  } catch (err) {
    out((err as Error).message);
    return 2;
  }
  if (args.help) {
    out(USAGE);
    return 0;
  }
  const config = loadConfig(env);
  const d = config.discord;
  const guildId = args.global ? undefined : (args.guildId ?? d.guildId);
  const body = commandDefinitions({ allowDms: d.allowDms });
  if (args.dryRun) {
    out(JSON.stringify({ scope: guildId ? `guild ${guildId}` : 'global', commands: body }, null, 2));
    return 0;
  }
  if (!d.token || !d.appId) {
    out('DISCORD_TOKEN and DISCORD_APP_ID must be set (or use --dry-run).');
    return 1;
  }
  try {
    const res = await registerCommands({ token: d.token, appId: d.appId, guildId, apiBase: d.apiBase, allowDms: d.allowDms });
    out(`Registered ${res.names.length} commands (${res.scope}): ${res.names.join(', ')}`);
    out(`Invite the bot (its slash commands and the channel permissions it needs): ${inviteUrl(d.appId)}`);
    return 0;
  } catch (err) {
    const e = err as { status?: number; message?: string };
    out(`Registration failed${e.status ? ` (HTTP ${e.status})` : ''}: ${scrub(e.message ?? String(err))}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2), process.env);
}
