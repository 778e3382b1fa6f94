// The composer's attachments: the image (picked, dropped, pasted or sketched) and the mask
// (painted over it), shown as removable thumbnails.
import { h } from './dom.ts';
import { icon } from './icons.ts';

/** Which image option an attachment fills. */
export type Slot = 'image' | 'mask';

interface Attached {
  blob: Blob;
  name: string;
  url: string;
}

/** The attachments of the next message. */
export class Attachments {
  private readonly items = new Map<Slot, Attached>();

  constructor(
    private readonly tray: HTMLUListElement,
    private readonly onChange: () => void,
  ) {}

  /** Attaches `blob` as the image or the mask (replacing the previous one); a new image drops the old mask. */
  set(slot: Slot, blob: Blob, name: string): void {
    this.remove(slot, false);
    if (slot === 'image') this.remove('mask', false);
    this.items.set(slot, { blob, name, url: URL.createObjectURL(blob) });
    this.render();
  }

  /** The attachment of a slot. */
  get(slot: Slot): Attached | undefined {
    return this.items.get(slot);
  }

  /** Removes one attachment. */
  remove(slot: Slot, render = true): void {
    const a = this.items.get(slot);
    if (!a) return;
    URL.revokeObjectURL(a.url);
    this.items.delete(slot);
    if (render) this.render();
  }

  /** Takes the attachments of the given slots out (for sending); the object URLs stay valid for the sent message. */
  take(slots: ReadonlySet<string>): { slot: Slot; blob: Blob; name: string; url: string }[] {
    const out = [...this.items.entries()]
      .filter(([slot]) => slots.has(slot))
      .map(([slot, a]) => ({ slot, ...a }));
    for (const a of out) this.items.delete(a.slot);
    if (out.length > 0) this.render();
    return out;
  }

  /** Whether nothing is attached. */
  get empty(): boolean {
    return this.items.size === 0;
  }

  private render(): void {
    const label: Record<Slot, string> = { image: 'Image', mask: 'Mask' };
    this.tray.replaceChildren(
      ...[...this.items.entries()].map(([slot, a]) =>
        h(
          'li',
          { class: `attachment attachment-${slot}` },
          h('img', { src: a.url, alt: `${label[slot]}: ${a.name}`, width: 56, height: 56 }),
          h('span', { class: 'attachment-name' }, `${label[slot]}: ${a.name}`),
          h(
            'button',
            {
              type: 'button',
              class: 'remove',
              'aria-label': `Remove ${label[slot].toLowerCase()} ${a.name}`,
              onclick: () => this.remove(slot),
            },
            icon('close'),
          ),
        ),
      ),
    );
    this.onChange();
  }
}
