// Runs in the inference process and the CLI.
// The files a model manifest names stay inside the model folder: relative paths only, no `..`
// out of it, and no symbolic link leading out (checked on the real paths). Errors about model
// files name the file and what is wrong, never the bytes read from it.
import { existsSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ModelError } from './errors.ts';
import type { ModelManifest } from './manifest.ts';

/** Files of a CLIP tokenizer folder that the tokenizer reads when present. */
const TOKENIZER_FILES = ['vocab.json', 'merges.txt', 'tokenizer_config.json', 'special_tokens_map.json'];

/** Whether `p` is `root` or below it (both absolute and normalized). */
function within(root: string, p: string): boolean {
  const r = relative(root, p);
  return r === '' || (!r.startsWith('..' + sep) && r !== '..' && !isAbsolute(r));
}

/** The real path of `p`, or null when it does not exist (the reader reports a missing file itself). */
function realOrNull(p: string): string | null {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
}

/**
 * `rel` (field `field` of the manifest `source`) resolved inside the model folder `dir`; a ModelError when it is
 * absolute, climbs out with `..`, or leads out through a symbolic link.
 */
export function confinedPath(
  dir: string,
  rel: string,
  field: string,
  source = join(dir, 'model.json'),
): string {
  const root = resolve(dir);
  const outside = (how: string) =>
    new ModelError(
      'bad-manifest',
      `${source}: \`${field}\` ${how}; every file of a model must be inside its folder ${root} (copy the file in)`,
    );
  if (rel.includes('\0')) throw outside('is not a usable path');
  if (isAbsolute(rel)) throw outside('is an absolute path');
  const full = resolve(root, rel);
  if (!within(root, full)) throw outside('leads out of the model folder');
  const real = realOrNull(full);
  if (real !== null) {
    const realRoot = realOrNull(root) ?? root;
    if (!within(realRoot, real))
      throw outside('is a symbolic link (or inside one) that leads out of the model folder');
  }
  return full;
}

/** Every file or folder a manifest names, as [field, path relative to the model folder]. */
export function manifestPaths(m: ModelManifest): [string, string][] {
  const out: [string, string][] = [['unet.file', m.unet.file]];
  const p = m.prompt;
  if (p.encoder === 'bag-of-words') {
    out.push(['prompt.vocab', p.vocab], ['prompt.embeddings', p.embeddings]);
    if (p.concepts) out.push(['prompt.concepts', p.concepts]);
  } else if (p.encoder === 'clip') {
    out.push(['prompt.tokenizer', p.tokenizer], ['prompt.text_encoder', p.text_encoder]);
    for (const f of TOKENIZER_FILES) out.push([`prompt.tokenizer (${f})`, join(p.tokenizer, f)]);
    const two = p.text_encoder_2;
    if (two) {
      out.push(['prompt.text_encoder_2.tokenizer', two.tokenizer], ['prompt.text_encoder_2.text_encoder', two.text_encoder]);
      for (const f of TOKENIZER_FILES) out.push([`prompt.text_encoder_2.tokenizer (${f})`, join(two.tokenizer, f)]);
    }
  } else if (p.encoder === 'precomputed') {
    out.push(['prompt.index', p.index], ['prompt.data', p.data]);
  }
  if (m.prior) out.push(['prior.tiles', m.prior.tiles], ['prior.index', m.prior.index]);
  if (m.vae) {
    out.push(['vae.decoder', m.vae.decoder]);
    // Without `vae.encoder` the latent loader looks for this conventional file.
    out.push(['vae.encoder', m.vae.encoder ?? join('vae_encoder', 'model.onnx')]);
  }
  return out;
}

/** Checks that every path of the manifest stays inside `dir` (real paths); throws a ModelError naming the first that does not. */
export function checkManifestPaths(dir: string, m: ModelManifest, source = join(dir, 'model.json')): void {
  for (const [field, rel] of manifestPaths(m)) confinedPath(dir, rel, field, source);
}

/** Checks that `<dir>/model.json` is not a symbolic link out of the folder; returns its path. */
export function manifestFile(dir: string): string {
  const file = join(dir, 'model.json');
  if (existsSync(file)) confinedPath(dir, 'model.json', 'model.json', file);
  return file;
}

/** What is wrong with text that JSON.parse refused, without quoting it (V8's message shows the text's first bytes). */
export function jsonProblem(err: unknown): string {
  const msg = err instanceof Error ? err.message : '';
  const at = /at position (\d+)/.exec(msg);
  if (/end of JSON input/i.test(msg)) return 'is not valid JSON (it ends too early)';
  return at ? `is not valid JSON (at character ${at[1]})` : 'is not valid JSON';
}
