// The evals' contact sheets: one row per prompt (or illusion case), one picture per column, each at 2x.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import sharp from 'sharp';

/** Write RGB byte images (rows of w x h, of any lengths) as a PNG contact sheet with white gaps. */
export async function writeSheet(rows: Uint8Array[][], w: number, h: number, file: string): Promise<void> {
  const scale = 2;
  const gap = 4;
  const cols = Math.max(...rows.map((r) => r.length));
  const W = cols * (w * scale + gap) + gap;
  const H = rows.length * (h * scale + gap) + gap;
  const composites = [];
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < rows[r].length; c++) {
      const input = await sharp(rows[r][c], { raw: { width: w, height: h, channels: 3 } })
        .resize(w * scale, h * scale, { kernel: 'nearest' })
        .png()
        .toBuffer();
      composites.push({ input, left: gap + c * (w * scale + gap), top: gap + r * (h * scale + gap) });
    }
  }
  mkdirSync(dirname(file), { recursive: true });
  await sharp({ create: { width: W, height: H, channels: 3, background: '#ffffff' } }).composite(composites).png().toFile(file);
  console.log(`contact sheet ${file} (${rows.length} rows, up to ${cols} pictures each)`);
}
