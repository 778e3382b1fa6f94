// Text conversions between Slack and the platform-neutral commands: mrkdwn escaping of what the
// bot writes, and cleaning of what users write (entities, links, the bot's own mention).

/** Escapes the three characters Slack's mrkdwn treats as control characters (&, <, >), so user text can never form a mention or link. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Turns the commands' markdown (**bold**) into Slack mrkdwn (*bold*) and escapes it. */
export function toMrkdwn(markdown: string): string {
  return escapeMrkdwn(markdown).replace(/\*\*(.+?)\*\*/g, '*$1*');
}

/**
 * Turns a message's text as Slack sends it into plain text: removes mentions of `botUserId`,
 * turns links <url|label> into the label, <#C1|name> into #name, <@U1> into @U1, <!here> into
 * @here, then decodes &lt; &gt; &amp;.
 */
export function slackToPlain(text: string, botUserId?: string): string {
  let s = text;
  if (botUserId) s = s.replace(new RegExp(`<@${botUserId}(?:\\|[^>]*)?>`, 'g'), ' ');
  s = s.replace(/<([^>]*)>/g, (_m, inner: string) => {
    const [target, label] = inner.split('|', 2);
    if (label) return target.startsWith('#') || target.startsWith('@') ? `${target[0]}${label}` : label;
    if (target.startsWith('!')) return `@${target.slice(1).split('^')[0]}`;
    return target;
  });
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
}

/** A mention of a Slack user id (only ever built from ids Slack sent, never from user text). */
export function mention(userId: string): string {
  return /^[A-Z0-9]+$/.test(userId) ? `<@${userId}>` : 'someone';
}
