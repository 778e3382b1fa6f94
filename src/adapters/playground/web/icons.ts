// The page's icons, drawn as inline SVG (24x24, stroked in the text colour) instead of emoji
// glyphs, which show as empty boxes on machines without an emoji font. Elements marked
// data-icon="<name>" in index.html get theirs at start (fillIcons).

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Each icon's path data (one string per path), drawn for this page. */
export const ICONS = {
  /** Paperclip: attach an image. */
  attach: ['M16.5 7.5v9a4.5 4.5 0 0 1-9 0V6a3 3 0 0 1 6 0v10a1.5 1.5 0 0 1-3 0V8'],
  /** Pencil: draw a sketch. */
  sketch: ['M4 20l1.2-4.6L15.6 5a2 2 0 0 1 2.8 0l.6.6a2 2 0 0 1 0 2.8L8.6 18.8z', 'M13.8 6.8l3.4 3.4'],
  /** Brush over a square: paint a mask. */
  mask: ['M4 4h9M4 4v16h16v-7', 'M20.5 3.5l-7.8 7.8', 'M12.7 11.3c-1.9-.2-3.4 1-3.5 2.9-.1 1.2-.6 2-1.7 2.6 2.9.9 6.3-.3 6.2-3.7'],
  /** Two arrows in a circle: again with a new seed. */
  regen: ['M20 12a8 8 0 0 1-14.3 4.9', 'M4 12a8 8 0 0 1 14.3-4.9', 'M18.5 3v4.2h-4.2', 'M5.5 21v-4.2h4.2'],
  /** A cross: remove. */
  close: ['M6 6l12 12', 'M18 6L6 18'],
  /** A person: the user's avatar. */
  user: ['M12 12.5a4 4 0 1 0 0-8 4 4 0 0 0 0 8z', 'M4.5 20.5a7.5 7.5 0 0 1 15 0'],
  /** A robot: the bot's avatar. */
  bot: ['M5 9h14v10H5z', 'M12 9V5.5', 'M12 5.5a1 1 0 1 0 0-.01', 'M9 14h.01', 'M15 14h.01', 'M2.5 13v2', 'M21.5 13v2'],
} as const;

export type IconName = keyof typeof ICONS;

/** Whether `name` is an icon of this page. */
export function isIconName(name: string): name is IconName {
  return Object.hasOwn(ICONS, name);
}

/** An inline SVG icon (decorative: hidden from assistive technology; label the control instead). */
export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  for (const [k, v] of Object.entries({
    viewBox: '0 0 24 24',
    width: '1.2em',
    height: '1.2em',
    fill: 'none',
    stroke: 'currentColor',
    'stroke-width': '1.8',
    'stroke-linecap': 'round',
    'stroke-linejoin': 'round',
    'aria-hidden': 'true',
    focusable: 'false',
    class: `icon icon-${name}`,
  })) {
    svg.setAttribute(k, v);
  }
  for (const d of ICONS[name]) {
    const path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

/** Puts its icon into every element under `root` marked data-icon="<name>". */
export function fillIcons(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-icon]')) {
    const name = el.dataset.icon ?? '';
    if (isIconName(name)) el.replaceChildren(icon(name));
  }
}
