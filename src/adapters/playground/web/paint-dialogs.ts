// The two painting dialogs: a sketch pad for /sketch (colours, brush sizes, undo, clear; the
// PNG is the attachment) and a mask painter over the attached image for /inpaint (painted =
// regenerate; exported as a white-on-black PNG at the image's size).
import { byId, h } from './dom.ts';
import { Painter, canvasToPng, drawStrokes } from './painter.ts';

/** Sketch colours: name and value. */
export const SKETCH_COLOURS: readonly [string, string][] = [
  ['Black', '#000000'],
  ['White', '#ffffff'],
  ['Red', '#e53935'],
  ['Orange', '#fb8c00'],
  ['Yellow', '#fdd835'],
  ['Green', '#43a047'],
  ['Blue', '#1e88e5'],
  ['Purple', '#8e24aa'],
  ['Brown', '#6d4c41'],
  ['Pink', '#f48fb1'],
];

/** Longest side of an exported mask. */
const MASK_MAX_SIDE = 1024;

/** Wires the sketch dialog; `onUse` gets the sketch as a PNG. Returns the function that opens it. */
export function setupSketchDialog(onUse: (png: Blob) => void): () => void {
  const dialog = byId<HTMLDialogElement>('sketch-dialog');
  const canvas = byId<HTMLCanvasElement>('sketch-canvas');
  const size = byId<HTMLInputElement>('sketch-size');
  const use = byId<HTMLButtonElement>('sketch-use');
  const undo = byId<HTMLButtonElement>('sketch-undo');
  const clear = byId<HTMLButtonElement>('sketch-clear');
  const painter = new Painter(canvas, {
    render(ctx, strokes, c) {
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(0, 0, c.width, c.height);
      drawStrokes(ctx, strokes, c.width, c.height);
    },
    onChange: () => sync(),
  });
  const sync = () => {
    use.disabled = painter.empty;
    undo.disabled = painter.empty;
    clear.disabled = painter.empty;
  };
  const swatches = byId<HTMLFieldSetElement>('sketch-colours');
  SKETCH_COLOURS.forEach(([name, value], i) => {
    const input = h('input', {
      type: 'radio',
      name: 'sketch-colour',
      value,
      checked: i === 0,
      'aria-label': name,
    });
    input.addEventListener('change', () => (painter.color = value));
    const label = h('label', { class: 'swatch', title: name }, input);
    label.style.setProperty('--swatch', value);
    swatches.append(label);
  });
  size.addEventListener('input', () => (painter.size = Number(size.value)));
  painter.size = Number(size.value);
  undo.addEventListener('click', () => painter.undo());
  clear.addEventListener('click', () => painter.clear());
  use.addEventListener('click', async () => {
    painter.redraw();
    const png = await canvasToPng(canvas);
    dialog.close('use');
    onUse(png);
  });
  sync();
  painter.redraw();
  return () => {
    painter.redraw();
    dialog.showModal();
    canvas.focus();
  };
}

/** Wires the mask dialog; `open(image)` shows the image to paint over, `onUse` gets the white-on-black mask PNG. */
export function setupMaskDialog(onUse: (png: Blob) => void): (image: Blob) => Promise<void> {
  const dialog = byId<HTMLDialogElement>('mask-dialog');
  const canvas = byId<HTMLCanvasElement>('mask-canvas');
  const size = byId<HTMLInputElement>('mask-size');
  const use = byId<HTMLButtonElement>('mask-use');
  const undo = byId<HTMLButtonElement>('mask-undo');
  const clear = byId<HTMLButtonElement>('mask-clear');
  const share = byId('mask-share');
  let image: ImageBitmap | null = null;
  const layer = document.createElement('canvas');
  const veil = document.createElement('canvas');
  const painter = new Painter(canvas, {
    // What will be redrawn is shown as it is, tinted; what is kept is darkened.
    render(ctx, strokes, c) {
      ctx.clearRect(0, 0, c.width, c.height);
      if (image) ctx.drawImage(image, 0, 0, c.width, c.height);
      for (const x of [layer, veil]) [x.width, x.height] = [c.width, c.height];
      const l = layer.getContext('2d', { willReadFrequently: true })!;
      drawStrokes(l, strokes, c.width, c.height, '#ff1f8f');
      const v = veil.getContext('2d')!;
      v.fillStyle = '#000000';
      v.fillRect(0, 0, c.width, c.height);
      v.globalCompositeOperation = 'destination-out';
      v.drawImage(layer, 0, 0);
      ctx.save();
      ctx.globalAlpha = 0.5;
      ctx.drawImage(veil, 0, 0);
      ctx.globalAlpha = 0.3;
      ctx.drawImage(layer, 0, 0);
      ctx.restore();
      const a = l.getImageData(0, 0, c.width, c.height).data;
      let on = 0;
      for (let i = 3; i < a.length; i += 4) if (a[i] >= 128) on++;
      const pct = Math.round((100 * on) / (c.width * c.height));
      share.textContent = on === 0 ? 'Nothing painted yet: paint what to redraw.' : `${pct}% of the picture will be redrawn; the darker part is kept.`;
    },
    onChange: () => sync(),
  });
  for (const radio of dialog.querySelectorAll<HTMLInputElement>('input[name="mask-tool"]'))
    radio.addEventListener('change', () => (painter.tool = radio.value === 'rect' ? 'rect' : 'brush'));
  const sync = () => {
    use.disabled = painter.empty;
    undo.disabled = painter.empty;
    clear.disabled = painter.empty;
  };
  size.addEventListener('input', () => (painter.size = Number(size.value)));
  painter.size = Number(size.value);
  undo.addEventListener('click', () => painter.undo());
  clear.addEventListener('click', () => painter.clear());
  use.addEventListener('click', async () => {
    if (!image) return;
    const scale = Math.min(1, MASK_MAX_SIDE / Math.max(image.width, image.height));
    const out = document.createElement('canvas');
    out.width = Math.max(1, Math.round(image.width * scale));
    out.height = Math.max(1, Math.round(image.height * scale));
    const ctx = out.getContext('2d')!;
    ctx.fillStyle = '#000000';
    ctx.fillRect(0, 0, out.width, out.height);
    drawStrokes(ctx, painter.strokes, out.width, out.height, '#ffffff');
    const png = await canvasToPng(out);
    dialog.close('use');
    onUse(png);
  });
  return async (blob: Blob) => {
    image?.close();
    image = await createImageBitmap(blob);
    // Display size: the image's aspect ratio, 512 px on the long side.
    const k = 512 / Math.max(image.width, image.height);
    canvas.width = Math.max(16, Math.round(image.width * k));
    canvas.height = Math.max(16, Math.round(image.height * k));
    painter.clear();
    sync();
    dialog.showModal();
    canvas.focus();
  };
}
