// The evals' contact sheets: one row per prompt (or illusion case), one picture per column, each at
// 2x, with the row's label (its prompt) drawn in a column on the left.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { drawLabel } from '../src/imaging/index.ts';

/** Write RGB byte images (rows of w x h, of any lengths) as a PNG contact sheet with white gaps; `labels[r]` names row r. */
export async function writeSheet(rows: Uint8Array[][], w: number, h: number, file: string, labels: string[] = []): Promise<void> {
  const scale = 2;
  const gap = 4;
  const cols = Math.max(...rows.map((r) => r.length));
  const labelW = labels.length > 0 ? Math.max(...labels.map((l) => l.length)) * 12 + 2 * gap + 4 : 0;
  const W = labelW + cols * (w * scale + gap) + gap;
  const H = rows.length * (h * scale + gap) + gap;
  const composites = [];
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < rows[r].length; c++) {
      const input = await sharp(rows[r][c], { raw: { width: w, height: h, channels: 3 } })
        .resize(w * scale, h * scale, { kernel: 'nearest' })
        .png()
        .toBuffer();
      composites.push({ input, left: labelW + gap + c * (w * scale + gap), top: gap + r * (h * scale + gap) });
    }
  }
  if (labelW > 0) {
    const column = { width: labelW, height: H, rgb: new Uint8Array(labelW * H * 3).fill(255) };
    labels.forEach((l, r) => drawLabel(column, l, { x: gap, y: gap + r * (h * scale + gap), w: labelW - 2 * gap, h: h * scale }, 2));
    composites.push({ input: await sharp(column.rgb, { raw: { width: labelW, height: H, channels: 3 } }).png().toBuffer(), left: 0, top: 0 });
  }
  mkdirSync(dirname(file), { recursive: true });
  await sharp({ create: { width: W, height: H, channels: 3, background: '#ffffff' } }).composite(composites).png().toFile(file);
  console.log(`contact sheet ${file} (${rows.length} rows, up to ${cols} pictures each)`);
}
