// Builds the emoji model's coarse data prior from the training set (npm run data:emoji first):
// every training image (held-out emoji excluded) averaged over 4x4 pixel blocks to 16x16 RGB.
// Output, committed with the model: models/emoji/prior/tiles.png (an atlas, TILES_PER_ROW tiles
// per row, in image order) and models/emoji/prior/tiles.json ({ size, count, perRow, emoji[] }).
//
//   npm run data:emoji && npx tsx models/emoji/data/tiles.ts
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { blockAverage } from '../../../src/diffusion/coarse-prior.ts';

const here = dirname(fileURLToPath(import.meta.url));
const buildDir = join(here, 'build');
const outDir = join(here, '..', 'prior');
const TILE = 16;
const TILES_PER_ROW = 128;

interface Meta {
  size: number;
  images: { concept: number }[];
  concepts: { emoji: string; split: string }[];
}

/** Area average of a size x size RGB (HWC) image over (size / tile)-pixel blocks, rounded to uint8 HWC. */
function tileOf(rgb: Uint8Array, size: number, tile: number): Uint8Array {
  const shape = { channels: 3, height: size, width: size };
  const chw = new Float32Array(3 * size * size);
  for (let i = 0; i < size * size; i++) for (let c = 0; c < 3; c++) chw[c * size * size + i] = rgb[i * 3 + c];
  const avg = blockAverage(chw, shape, tile);
  const out = new Uint8Array(tile * tile * 3);
  for (let i = 0; i < tile * tile; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(avg[c * tile * tile + i]);
  return out;
}

async function main(): Promise<void> {
  const meta = JSON.parse(readFileSync(join(buildDir, 'dataset.json'), 'utf8')) as Meta;
  const pixels = readFileSync(join(buildDir, 'images.u8'));
  const n = meta.size * meta.size * 3;
  const keep = meta.images.map((im, i) => ({ i, c: meta.concepts[im.concept] })).filter((e) => e.c.split === 'train');
  const rows = Math.ceil(keep.length / TILES_PER_ROW);
  const width = TILES_PER_ROW * TILE;
  const atlas = Buffer.alloc(width * rows * TILE * 3, 255);
  keep.forEach(({ i }, k) => {
    const tile = tileOf(pixels.subarray(i * n, (i + 1) * n), meta.size, TILE);
    const ox = (k % TILES_PER_ROW) * TILE;
    const oy = Math.floor(k / TILES_PER_ROW) * TILE;
    for (let y = 0; y < TILE; y++) {
      atlas.set(tile.subarray(y * TILE * 3, (y + 1) * TILE * 3), ((oy + y) * width + ox) * 3);
    }
  });
  mkdirSync(outDir, { recursive: true });
  await sharp(atlas, { raw: { width, height: rows * TILE, channels: 3 } })
    .png({ compressionLevel: 9, palette: false })
    .toFile(join(outDir, 'tiles.png'));
  const index = { size: TILE, count: keep.length, perRow: TILES_PER_ROW, emoji: keep.map((e) => e.c.emoji) };
  writeFileSync(join(outDir, 'tiles.json'), JSON.stringify(index));
  console.log(`wrote ${keep.length} tiles of ${TILE}x${TILE} to ${outDir}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
