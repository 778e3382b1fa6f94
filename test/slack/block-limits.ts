// Block Kit as the fake Slack checks it: the limits of Slack's Block Kit reference (50 blocks in a
// message, section text 3000 characters, 10 fields of 2000, header 150, 25 elements in actions,
// button text 75, action_id 255, value 2000, url 3000, block_id 255, alt_text 2000, an image's URL
// or Slack file), answered as Slack answers: `invalid_blocks` with one "<why> [json-pointer:...]"
// line per fault in `errors` and again in response_metadata.messages.

/** Slack's documented Block Kit limits. */
export const BLOCK_LIMITS = {
  blocks: 50,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  actionId: 255,
  buttonValue: 2000,
  url: 3000,
  blockId: 255,
  altText: 2000,
} as const;

const KNOWN = new Set(['section', 'divider', 'image', 'actions', 'context', 'header', 'input', 'file', 'rich_text', 'video', 'markdown']);

/** How the fake judges a `slack_file` reference: null when it may be shown, else why not. */
export type SlackFileCheck = (ref: { id?: string; url?: string }) => string | null;

/** The `errors` lines of Slack's invalid_blocks answer for `blocks` (empty when Slack accepts them). */
export function blockErrors(blocks: unknown, checkFile: SlackFileCheck): string[] {
  const out: string[] = [];
  const err = (why: string, pointer: string) => out.push(`${why} [json-pointer:${pointer}]`);
  const text = (t: unknown, max: number, pointer: string) => {
    const s = (t as { text?: unknown } | undefined)?.text;
    if (typeof s !== 'string' || s.length === 0) err('must be more than 0 characters', `${pointer}/text`);
    else if (s.length > max) err(`must be less than ${max + 1} characters`, `${pointer}/text`);
  };
  const maxLen = (v: unknown, max: number, pointer: string) => {
    if (typeof v === 'string' && v.length > max) err(`must be less than ${max + 1} characters`, pointer);
  };
  if (!Array.isArray(blocks)) return ['must provide an array [json-pointer:/blocks]'];
  if (blocks.length > BLOCK_LIMITS.blocks) err(`no more than ${BLOCK_LIMITS.blocks} items allowed`, '/blocks');
  blocks.forEach((b: Record<string, unknown>, i) => {
    const p = `/blocks/${i}`;
    if (!b || typeof b !== 'object' || !KNOWN.has(String(b.type))) return err('unsupported type', `${p}/type`);
    maxLen(b.block_id, BLOCK_LIMITS.blockId, `${p}/block_id`);
    switch (b.type) {
      case 'section': {
        if (b.text === undefined && !Array.isArray(b.fields)) err('must provide either text or fields', p);
        if (b.text !== undefined) text(b.text, BLOCK_LIMITS.sectionText, `${p}/text`);
        const fields = Array.isArray(b.fields) ? b.fields : [];
        if (fields.length > BLOCK_LIMITS.fields) err(`no more than ${BLOCK_LIMITS.fields} items allowed`, `${p}/fields`);
        fields.forEach((f, j) => text(f, BLOCK_LIMITS.fieldText, `${p}/fields/${j}`));
        break;
      }
      case 'header':
        text(b.text, BLOCK_LIMITS.headerText, `${p}/text`);
        break;
      case 'context': {
        const els = Array.isArray(b.elements) ? b.elements : [];
        if (els.length === 0 || els.length > BLOCK_LIMITS.contextElements) err(`must provide 1 to ${BLOCK_LIMITS.contextElements} items`, `${p}/elements`);
        break;
      }
      case 'actions': {
        const els = Array.isArray(b.elements) ? (b.elements as Record<string, unknown>[]) : [];
        if (els.length === 0 || els.length > BLOCK_LIMITS.actionsElements) err(`must provide 1 to ${BLOCK_LIMITS.actionsElements} items`, `${p}/elements`);
        els.forEach((e, j) => {
          const q = `${p}/elements/${j}`;
          if (e.type !== 'button') return;
          text(e.text, BLOCK_LIMITS.buttonText, `${q}/text`);
          maxLen(e.action_id, BLOCK_LIMITS.actionId, `${q}/action_id`);
          maxLen(e.value, BLOCK_LIMITS.buttonValue, `${q}/value`);
          maxLen(e.url, BLOCK_LIMITS.url, `${q}/url`);
        });
        const ids = els.map((e) => e.action_id).filter((id) => typeof id === 'string');
        if (new Set(ids).size !== ids.length) err('duplicate action_id', `${p}/elements`);
        break;
      }
      case 'image': {
        if (typeof b.alt_text !== 'string' || b.alt_text.length === 0) err('must be more than 0 characters', `${p}/alt_text`);
        else maxLen(b.alt_text, BLOCK_LIMITS.altText, `${p}/alt_text`);
        const file = b.slack_file as { id?: string; url?: string } | undefined;
        if (typeof b.image_url === 'string') {
          if (!/^https?:\/\/\S+$/.test(b.image_url)) err('invalid_url', `${p}/image_url`);
          else maxLen(b.image_url, BLOCK_LIMITS.url, `${p}/image_url`);
        } else if (file && typeof file === 'object') {
          const why = checkFile(file);
          if (why) err(why, `${p}/slack_file`);
        } else err('must provide either image_url or slack_file', p);
        break;
      }
      default:
        break;
    }
  });
  return out;
}

/** Slack's answer to blocks it refuses. */
export function invalidBlocks(errors: string[]): Record<string, unknown> {
  return { ok: false, error: 'invalid_blocks', errors, response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } };
}
