// Runs in the CLI.
// `models pull --preview-decoder <repo>`: fetch a tiny autoencoder decoder (TAESD-style, ONNX) into a
// model folder's preview_decoder/ and name it in model.json, so that live previews and GIF frames
// come from it instead of the linear latent-to-RGB projection (runtime/latent/preview-decoder.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { HubError, listRepoFiles, resolveUrl, type HubOptions } from './client.ts';
import { downloadFile } from './download.ts';

const FOLDER = 'preview_decoder';

/** The decoder file of a repository listing: an optimum export's vae_decoder/model.onnx, else the one .onnx file named like a decoder. */
export function pickPreviewDecoder(paths: readonly string[]): string {
  const optimum = paths.find((p) => p === 'vae_decoder/model.onnx');
  if (optimum) return optimum;
  const decoders = paths.filter((p) => /decoder[^/]*\.onnx$/i.test(p));
  if (decoders.length === 1) return decoders[0];
  const onnx = paths.filter((p) => p.endsWith('.onnx'));
  throw new HubError(
    'layout',
    decoders.length > 1
      ? `several decoder files in the preview decoder's repository (${decoders.join(', ')}); expected one`
      : `no preview decoder in the repository: expected vae_decoder/model.onnx (a diffusers/optimum ONNX export of a tiny autoencoder such as TAESD) or one *decoder*.onnx${onnx.length ? `; found ${onnx.join(', ')}` : ''}`,
  );
}

/** Download the decoder (and its external data file, names kept) into `<dir>/preview_decoder/` and name it in model.json; answers its path in the manifest. */
export async function pullPreviewDecoder(
  dir: string,
  repo: string,
  hub: HubOptions,
  revision = 'main',
): Promise<{ file: string; bytes: number; source: string }> {
  const listed = await listRepoFiles(hub, repo, revision);
  const picked = pickPreviewDecoder(listed.map((f) => f.path));
  const base = picked.slice(0, picked.lastIndexOf('/') + 1);
  const take = listed.filter(
    (f) => f.path === picked || f.path === `${picked}_data` || f.path === `${base}weights.pb`,
  );
  let bytes = 0;
  for (const f of take) {
    // Names kept: the .onnx file names its external data file.
    await downloadFile(
      hub,
      resolveUrl(hub, repo, revision, f.path),
      join(dir, FOLDER, basename(f.path)),
      f.size,
      f.path,
      {},
    );
    bytes += f.size;
  }
  const file = `${FOLDER}/${basename(picked)}`;
  const manifestFile = join(dir, 'model.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, unknown>;
  manifest.preview_decoder = { file };
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + '\n');
  return { file, bytes, source: `${repo}@${revision}/${picked}` };
}
