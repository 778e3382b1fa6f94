// Runs in the inference process and the CLI.
// Labels drawn into result images (the panels of the noise and denoise strips, the views of an
// anagram): a built-in 5x7 pixel font, upper case, scaled to the panel, so no font has to be
// installed and the same job gives the same bytes everywhere.
import { makeStrip } from './strip.ts';
import type { RgbImage } from './types.ts';

/** 5x7 glyphs, one string of 7 rows of 5 pixels each ('#' = ink). */
const GLYPHS: Record<string, string> = {
  A: '.###.#...##...#######...##...##...#',
  B: '####.#...##...#####.#...##...#####.',
  C: '.###.#...##....#....#....#...#.###.',
  D: '####.#...##...##...##...##...#####.',
  E: '######....#....####.#....#....#####',
  F: '######....#....####.#....#....#....',
  G: '.###.#...##....#.####...##...#.####',
  H: '#...##...##...#######...##...##...#',
  I: '.###...#....#....#....#....#...###.',
  J: '..###...#....#....#....#.#..#..##..',
  K: '#...##..#.#.#..##...#.#..#..#.#...#',
  L: '#....#....#....#....#....#....#####',
  M: '#...###.###.#.##...##...##...##...#',
  N: '#...###..##.#.##..###...##...##...#',
  O: '.###.#...##...##...##...##...#.###.',
  P: '####.#...##...#####.#....#....#....',
  Q: '.###.#...##...##...##.#.##..#..##.#',
  R: '####.#...##...#####.#.#..#..#.#...#',
  S: '.#####....#.....###.....#....#####.',
  T: '#####..#....#....#....#....#....#..',
  U: '#...##...##...##...##...##...#.###.',
  V: '#...##...##...##...##...#.#.#...#..',
  W: '#...##...##...##.#.##.#.##.#.#.#.#.',
  X: '#...##...#.#.#...#...#.#.#...##...#',
  Y: '#...##...#.#.#...#....#....#....#..',
  Z: '#####....#...#...#...#...#....#####',
  '0': '.###.#...##..###.#.###..##...#.###.',
  '1': '..#...##....#....#....#....#...###.',
  '2': '.###.#...#....#...#...#...#...#####',
  '3': '#####...#...#.....#.....##...#.###.',
  '4': '...#...##..#.#.#..#######...#....#.',
  '5': '######....####.....#....##...#.###.',
  '6': '..##..#...#....####.#...##...#.###.',
  '7': '#####....#...#...#...#....#....#...',
  '8': '.###.#...##...#.###.#...##...#.###.',
  '9': '.###.#...##...#.####....#...#..##..',
  ' ': '...................................',
  '=': '..........#####.....#####..........',
  '.': '..........................##...##..',
  ',': '.....................##....#...#...',
  ':': '......##...##........##...##.......',
  '-': '...............#####...............',
  '(': '...#...#...#....#....#.....#.....#.',
  ')': '.#.....#.....#....#....#...#...#...',
  '/': '.........#...#...#...#...#.........',
  "'": '..#....#...#.......................',
  '"': '.#.#..#.#..#.#.....................',
  '°': '.##..#..#..##......................',
  '+': '.......#....#..#####..#....#.......',
  '?': '.###.#...#....#...#...#.........#..',
};
const W = 5;
const H = 7;

/** The text as the font can draw it: upper case, unknown characters as '?', runs of space as one. */
export function labelText(text: string): string {
  return [...text.toUpperCase().replace(/\s+/g, ' ')].map((c) => (GLYPHS[c] !== undefined ? c : '?')).join('');
}

type Box = { x: number; y: number; w: number; h: number };

/** The largest whole scale (at most `max`) at which `text` fits the box; 0 when not even at 1. */
function scaleFor(text: string, box: Box, max = 6): number {
  return Math.min(max, Math.floor(box.w / (text.length * (W + 1) + 1)), Math.floor(box.h / (H + 2)));
}

/** Draws `text` centred in the box (x, y, w, h) of `img`, dark on light, at the largest whole scale that fits (at most `maxScale`); cut with "..." when too long. */
export function drawLabel(img: RgbImage, text: string, box: Box, maxScale = 6): void {
  let t = labelText(text);
  while (t.length > 4 && scaleFor(t, box) < 1) t = `${t.slice(0, -4).trimEnd()}...`;
  const s = Math.max(1, scaleFor(t, box, maxScale));
  const x0 = box.x + Math.floor((box.w - (t.length * (W + 1) - 1) * s) / 2);
  const y0 = box.y + Math.floor((box.h - H * s) / 2);
  [...t].forEach((c, k) => {
    const g = GLYPHS[c];
    for (let row = 0; row < H; row++)
      for (let col = 0; col < W; col++) {
        if (g[row * W + col] !== '#') continue;
        for (let dy = 0; dy < s; dy++)
          for (let dx = 0; dx < s; dx++) {
            const px = x0 + (k * (W + 1) + col) * s + dx;
            const py = y0 + row * s + dy;
            if (px < box.x || py < box.y || px >= box.x + box.w || py >= box.y + box.h) continue;
            const i = (py * img.width + px) * 3;
            img.rgb[i] = img.rgb[i + 1] = img.rgb[i + 2] = 24;
          }
      }
  });
}

/**
 * Panels side by side (`gap` px apart, on white, as makeStrip lays a strip out), each with its
 * label in a light band under it (a sixth of the panels' height, at least 14 px).
 */
export function labelledRow(panels: readonly RgbImage[], labels: readonly string[], gap = 0): RgbImage {
  const strip = makeStrip(panels, { gap });
  const band = Math.max(14, Math.round(strip.height / 6));
  const { width } = strip;
  const height = strip.height + band;
  const rgb = new Uint8Array(width * height * 3).fill(245);
  rgb.set(strip.rgb);
  const out: RgbImage = { width, height, rgb };
  const boxes: Box[] = [];
  let x = 0;
  for (const p of panels) {
    boxes.push({ x: x + 2, y: strip.height, w: p.width - 4, h: band });
    x += p.width + gap;
  }
  // One size for every label: the largest at which each fits (a long one is cut rather than shrinking all).
  const common = Math.min(...boxes.map((b, k) => Math.max(1, scaleFor(labelText(labels[k] ?? ''), b))));
  boxes.forEach((b, k) => drawLabel(out, labels[k] ?? '', b, common));
  return out;
}
