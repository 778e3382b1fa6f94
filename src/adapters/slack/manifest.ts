// The Slack app manifest, derived from the command specs: the slash commands, the message
// shortcut, the bot events and the scopes the adapter uses. deploy/slack-manifest.json is its
// output for Socket Mode (`npm run --silent deploy:slack-manifest > deploy/slack-manifest.json`);
// `-- --request-url=https://host/slack/events` writes the HTTP-mode manifest with its request URLs.
import { pathToFileURL } from 'node:url';
import { COMMANDS, type CommandSpec } from '../../../commands/index.ts';
import { SHORTCUT_CALLBACK_ID } from './run-command.ts';

/** Bot scopes: each with the calls that need it. */
export const BOT_SCOPES = [
  'commands', // slash commands and the message shortcut
  'app_mentions:read', // app_mention events
  'chat:write', // status messages (chat.postMessage, chat.update, chat.delete, chat.postEphemeral) where the bot is a member
  'files:read', // files.info and url_private downloads of posted images
  'files:write', // files.uploadV2 of results (a private job's in a direct message), files.delete of deleted results
  'reactions:read', // reaction_added events
  'channels:history', // conversations.replies in public channels (image threads, results)
  'groups:history', // ... in private channels
  'im:history', // ... in direct messages
  'mpim:history', // ... in group direct messages
  'im:write', // conversations.open: a private job's result is shared in the requester's direct messages
] as const;

/** A slash command's usage hint in the text syntax of commands/text-args.ts (at most 100 characters). */
export function slackUsageHint(spec: CommandSpec): string {
  if (spec.options.some((o) => o.type === 'image' && o.required)) return 'on an image: its ⋯ menu → Diffuse this image, or @bot in its thread';
  const text = spec.options.filter((o) => o.type === 'string' && !o.choices);
  const required = text.filter((o) => o.required);
  const slots = required.length > 0 ? required : text.slice(0, 1);
  const positional = required.length > 0 ? slots.map((o) => o.name).join(' | ') : slots.map((o) => `[${o.name}]`).join(' ');
  const rest = spec.options.filter((o) => !slots.includes(o) && o.type !== 'image').map((o) => `[--${o.name}]`);
  let hint = [positional, ...rest].filter(Boolean).join(' ');
  if (hint.length > 100) hint = hint.slice(0, 99) + '…';
  return hint;
}

/** Options of the manifest. */
export interface ManifestOptions {
  name?: string;
  /** HTTP mode: the request URL (https://host/slack/events); absent = Socket Mode. */
  requestUrl?: string;
}

/** The app manifest (Slack's manifest schema) for Socket Mode, or HTTP mode when a request URL is given. */
export function buildSlackManifest(options: ManifestOptions = {}) {
  const url = options.requestUrl;
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name: options.name ?? 'diffuse-bot',
      description: 'Diffusion models in your channels: text-to-image, SDEdit, inpainting, visual anagrams, hybrid images.',
      background_color: '#2c2d30',
    },
    features: {
      bot_user: { display_name: options.name ?? 'diffuse', always_online: true },
      slash_commands: COMMANDS.map((c) => ({
        command: `/${c.spec.name}`,
        description: c.spec.description.slice(0, 100),
        ...(slackUsageHint(c.spec) ? { usage_hint: slackUsageHint(c.spec) } : {}),
        should_escape: false,
        ...(url ? { url } : {}),
      })),
      shortcuts: [
        {
          name: 'Diffuse this image',
          type: 'message',
          callback_id: SHORTCUT_CALLBACK_ID,
          description: 'Run sketch, inpaint, noise or denoise on this image',
        },
      ],
    },
    oauth_config: { scopes: { bot: [...BOT_SCOPES] } },
    settings: {
      event_subscriptions: { ...(url ? { request_url: url } : {}), bot_events: ['app_mention', 'reaction_added'] },
      interactivity: { is_enabled: true, ...(url ? { request_url: url } : {}) },
      org_deploy_enabled: false,
      socket_mode_enabled: !url,
      token_rotation_enabled: false,
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const requestUrl = process.argv.find((a) => a.startsWith('--request-url='))?.slice('--request-url='.length);
  process.stdout.write(JSON.stringify(buildSlackManifest(requestUrl ? { requestUrl } : {}), null, 2) + '\n');
}
