// Runs in the inference process and the CLI.
// Loads a pixel model's coarse data prior (manifest `prior`): low-resolution tiles of its training
// images and their emoji, and picks the tiles of a prompt's understood concepts. Every technique
// that samples draws on it per prompt (src/pipeline/techniques.ts: text-to-image, each anagram view,
// both hybrid branches, inpainting in the masked region, sketches).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { coarsePriorRefiner, type X0Refiner } from '../diffusion/coarse-prior.ts';
import { priorRegion } from '../diffusion/recipes/inpaint.ts';
import type { Shape } from '../diffusion/types.ts';
import { readRgbFile, type RgbImage } from '../imaging/index.ts';
import { ModelError } from './errors.ts';
import { confinedPath, jsonProblem } from './model-files.ts';
import type { CoarsePriorManifest } from './manifest.ts';
import { baseEmoji, hasSkinTone, stripVariationSelectors } from './prompt/emoji.ts';
import type { UnderstoodConcept } from './types.ts';

const IndexSchema = z.object({
  size: z.number().int().positive(),
  count: z.number().int().nonnegative(),
  perRow: z.number().int().positive(),
  emoji: z.array(z.string()),
});

/** The tiles of a model's training images, grouped by emoji. */
export interface CoarsePrior {
  size: number;
  /** [count, channels, size, size] in [-1, 1]. */
  tiles: Float32Array;
  emoji: readonly string[];
  /**
   * The refiner for one prompt's understood concepts; undefined when none has tiles. With a mask
   * (H*W sample pixels, 1 = new content) it lays out only the blocks the mask covers, and is
   * undefined when the mask leaves it no room (priorRegion).
   */
  forConcepts(understood: readonly UnderstoodConcept[], mask?: Float32Array): X0Refiner | undefined;
}

function bad(file: string, why: string, cause?: unknown): ModelError {
  return new ModelError('bad-manifest', `Coarse prior ${file}: ${why}`, cause ? { cause } : undefined);
}

/**
 * Tile weights for understood concepts: each concept's weight is shared equally by its tiles.
 * A concept named without a skin tone takes the tiles of all its tones; one with a tone, only those.
 */
export function tileWeights(emoji: readonly string[], understood: readonly UnderstoodConcept[]): number[] {
  const weights = new Array<number>(emoji.length).fill(0);
  for (const u of understood) {
    if (!u.emoji || !(u.weight > 0)) continue;
    const exact = stripVariationSelectors(u.emoji);
    const anyTone = !hasSkinTone(u.emoji);
    const base = baseEmoji(u.emoji);
    const picked: number[] = [];
    emoji.forEach((e, i) => {
      if (anyTone ? baseEmoji(e) === base : stripVariationSelectors(e) === exact) picked.push(i);
    });
    for (const i of picked) weights[i] += u.weight / picked.length;
  }
  return weights;
}

/**
 * The prompt's concepts the prior draws on: those the negative prompt names are left out (a
 * negated concept without a skin tone removes every tone of its emoji; one with a tone, only it).
 */
export function conceptsForPrior(
  prompt: readonly UnderstoodConcept[],
  negative: readonly UnderstoodConcept[],
): UnderstoodConcept[] {
  const exact = stripVariationSelectors;
  const negated = negative.filter((n) => n.emoji && n.weight > 0).map((n) => n.emoji!);
  return prompt.filter(
    (u) =>
      !u.emoji ||
      !negated.some((n) => (hasSkinTone(n) ? exact(u.emoji!) === exact(n) : baseEmoji(u.emoji!) === baseEmoji(n))),
  );
}

/** Read the atlas and index named by the manifest; tiles must fit the sample shape. */
export async function loadCoarsePrior(dir: string, m: CoarsePriorManifest, shape: Shape): Promise<CoarsePrior> {
  const indexFile = confinedPath(dir, m.index, 'prior.index');
  const tilesFile = confinedPath(dir, m.tiles, 'prior.tiles');
  let text: string;
  try {
    text = readFileSync(indexFile, 'utf8');
  } catch (err) {
    throw bad(indexFile, (err as Error).message, err);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    // Not the parser's message: it quotes the file's first bytes.
    throw bad(indexFile, jsonProblem(err));
  }
  const parsed = IndexSchema.safeParse(json);
  if (!parsed.success) throw bad(indexFile, parsed.error.issues[0].message);
  const { size, count, perRow, emoji } = parsed.data;
  if (emoji.length !== count) throw bad(indexFile, `${emoji.length} emoji for ${count} tiles`);
  if (shape.height % size !== 0 || shape.width % size !== 0 || shape.channels !== 3) {
    throw bad(indexFile, `${size}x${size} RGB tiles do not fit samples of ${shape.channels}x${shape.height}x${shape.width}`);
  }
  let atlas: RgbImage;
  try {
    atlas = await readRgbFile(tilesFile);
  } catch (err) {
    throw bad(tilesFile, (err as Error).message, err);
  }
  const { width, height } = atlas;
  const rows = Math.ceil(count / perRow);
  if (width !== perRow * size || height < rows * size) {
    throw bad(tilesFile, `${width}x${height} cannot hold ${count} tiles of ${size}, ${perRow} per row`);
  }
  const per = 3 * size * size;
  const tiles = new Float32Array(count * per);
  for (let k = 0; k < count; k++) {
    const ox = (k % perRow) * size;
    const oy = Math.floor(k / perRow) * size;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          tiles[k * per + (c * size + y) * size + x] = atlas.rgb[((oy + y) * width + ox + x) * 3 + c] / 127.5 - 1;
        }
      }
    }
  }
  return {
    size,
    tiles,
    emoji,
    forConcepts(understood, mask) {
      const weights = tileWeights(emoji, understood);
      const picked = weights.flatMap((w, i) => (w > 0 ? [i] : []));
      if (picked.length === 0) return undefined;
      const region = mask ? priorRegion(mask, shape, size) : undefined;
      if (mask && !region) return undefined;
      const sub = new Float32Array(picked.length * per);
      picked.forEach((i, j) => sub.set(tiles.subarray(i * per, (i + 1) * per), j * per));
      return coarsePriorRefiner({
        shape,
        size,
        tiles: sub,
        weights: picked.map((i) => weights[i]),
        fromT: m.from_t,
        toT: m.to_t,
        region,
      });
    },
  };
}
