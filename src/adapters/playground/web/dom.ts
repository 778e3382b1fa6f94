// Small DOM helpers of the page: element builder, safe rendering of the bot's light markdown.

type Attrs = Record<string, string | number | boolean | undefined | null | EventListener>;
type Child = Node | string | null | undefined | false;

/** Creates an element with attributes (on* keys become listeners) and children (strings become text nodes). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** The element with `id`, typed; throws when the page lacks it. */
export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

/** One line of the bot's text: **bold** and `code` as DOM nodes. */
function inline(line: string, frag: DocumentFragment | HTMLElement): void {
  const re = /\*\*([^*]+)\*\*|`([^`]+)`/g;
  let last = 0;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m.index > last) frag.append(line.slice(last, m.index));
    if (m[1] !== undefined) frag.append(h('strong', {}, m[1]));
    else frag.append(h('code', {}, m[2]));
    last = m.index + m[0].length;
  }
  if (last < line.length) frag.append(line.slice(last));
}

/**
 * Renders the bot's text: **bold**, `code`, fenced blocks (```) as a preformatted block with a
 * copy button, and line breaks, as DOM nodes (never as HTML).
 */
export function richText(text: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  const parts = text.split(/^```[^\n]*\n([\s\S]*?)\n```$/m);
  parts.forEach((part, k) => {
    if (k % 2 === 1) {
      const copy = h('button', { type: 'button', class: 'copy', title: 'Copy' }, 'Copy');
      copy.addEventListener('click', () => void navigator.clipboard?.writeText(part).then(() => (copy.textContent = 'Copied')));
      frag.append(h('div', { class: 'code-block' }, h('pre', {}, h('code', {}, part)), copy));
      return;
    }
    const lines = part.replace(/^\n|\n$/g, '').split('\n');
    if (part === '') return;
    lines.forEach((line, i) => {
      if (i > 0) frag.append(document.createElement('br'));
      inline(line, frag);
    });
  });
  return frag;
}

/** "14:05" for an epoch time. */
export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
