// The OAuth scope each Slack Web API method the bot calls needs (Slack's method reference), for the
// fake's optional strict mode (`grantedScopes`: a method whose scope was not granted answers
// `missing_scope`) and for the check that the manifest asks for exactly what the adapter uses.

/** Scope of a bot-token method; a function where it depends on the conversation (C public, G private, D direct). */
export const METHOD_SCOPES: Record<string, string | ((args: Record<string, unknown>) => string) | null> = {
  'auth.test': null,
  'views.open': null,
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.delete': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'conversations.open': 'im:write',
  'conversations.replies': (a) => historyScope(String(a.channel ?? '')),
  'files.info': 'files:read',
  'files.getUploadURLExternal': 'files:write',
  'files.completeUploadExternal': 'files:write',
  'files.delete': 'files:write',
};

/** The history scope of a conversation id. */
export function historyScope(channel: string): string {
  if (channel.startsWith('D')) return 'im:history';
  if (channel.startsWith('G')) return 'groups:history';
  return 'channels:history';
}

/** Scopes that the four conversation kinds' history needs (conversations.replies reads any of them). */
export const ALL_HISTORY_SCOPES = ['channels:history', 'groups:history', 'im:history', 'mpim:history'];

/** Scopes Slack needs to deliver an event type to the app. */
export const EVENT_SCOPES: Record<string, string> = {
  app_mention: 'app_mentions:read',
  reaction_added: 'reactions:read',
};
