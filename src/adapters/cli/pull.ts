// `diffuse models pull <repo-id>`: download a model folder from the Hugging Face hub into the
// models folder, with a byte progress bar on a terminal, and write its manifest.
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { loadConfig } from '../../config.ts';
import { HubError, hubOptionsFromEnv } from '../../runtime/hub/client.ts';
import { modelNameFor } from '../../runtime/hub/pull.ts';
import { writeDiffusersManifest } from '../../runtime/latent/diffusers.ts';
import { schedulerSummary } from '../../diffusion/samplers/config.ts';
import { pullModel } from '../../runtime/hub/pull.ts';
import { pullPreviewDecoder } from '../../runtime/hub/preview-decoder.ts';
import type { CliRequest } from './args.ts';
import { EXIT, UsageError } from './errors.ts';
import type { CliIo } from './io.ts';
import { looksLikePath, modelsDirOf } from './models.ts';
import type { ProgressStream } from './progress.ts';

/** A byte count for people: 1.5 GB, 320.0 MB, 12.0 kB, 80 B (powers of 1000, as the hub shows sizes). */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** The download bar's text: `pull [#####.....] 1.2 GB / 3.4 GB  unet/model.onnx`, fitted to `columns`. */
export function renderDownload(done: number, total: number, file: string, columns = 80): string {
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const tail = ` ${formatBytes(done)} / ${formatBytes(total)}`;
  const width = Math.max(10, Math.min(30, columns - tail.length - 12 - Math.min(30, file.length)));
  const filled = Math.round(frac * width);
  const name = file.length > 30 ? '...' + file.slice(-27) : file;
  return `pull [${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${tail}  ${name}`.slice(
    0,
    Math.max(20, columns - 1),
  );
}

function hubMessage(err: HubError): Error {
  // Problems the user fixes on the command line (repository, revision, token, layout) exit 2.
  if (err.code === 'not-found' || err.code === 'unauthorized' || err.code === 'layout')
    return new UsageError(err.message);
  return err;
}

/** `models pull ./folder`: a local diffusers/optimum ONNX export gets its model.json, nothing is downloaded. */
function registerLocal(req: Extract<CliRequest, { kind: 'pull' }>, io: CliIo): number {
  const dir = resolve(req.repo);
  const name = req.name ?? modelNameFor(basename(dir));
  const manifest = writeDiffusersManifest(dir, { name, source: dir });
  const scheduler = schedulerSummary(manifest.scheduler, manifest.defaults.sampler ?? 'ddpm');
  if (req.json) {
    io.stdout.write(
      JSON.stringify({ name, dir, layout: 'latent', family: manifest.family, downloaded: 0, scheduler }) +
        '\n',
    );
  } else {
    io.stderr.write(`${name}: wrote ${dir}/model.json; use it with --model ${dir}\n${scheduler}\n`);
    io.stdout.write(dir + '\n');
  }
  return EXIT.ok;
}

/** Run `models pull`: list, download with progress (TTY only), write the manifest, print where it went. */
export async function runPull(req: Extract<CliRequest, { kind: 'pull' }>, io: CliIo): Promise<number> {
  if (looksLikePath(req.repo) && existsSync(req.repo) && statSync(req.repo).isDirectory()) {
    try {
      return registerLocal(req, io);
    } catch (err) {
      if ((err as { name?: string }).name === 'ModelError') throw new UsageError((err as Error).message);
      throw err;
    }
  }
  const config = loadConfig(io.env);
  const modelsDir = modelsDirOf(config, io.env);
  const hub = { ...hubOptionsFromEnv(io.env), signal: io.signal };
  const stream = io.stderr as ProgressStream;
  const tty = stream.isTTY === true;
  let lastDraw = 0;
  try {
    const result = await pullModel(
      { repo: req.repo, revision: req.revision, subfolder: req.subfolder, name: req.name, modelsDir },
      hub,
      {
        onPlan: (files, total, skipped) => {
          if (!req.json)
            io.stderr.write(
              `${req.repo}: ${files.length} file${files.length === 1 ? '' : 's'} to download (${formatBytes(total)})${skipped ? `, ${skipped} already complete` : ''}\n`,
            );
        },
        onProgress: (done, total, file) => {
          if (!tty) return;
          const now = performance.now();
          if (now - lastDraw < 100 && done < total) return;
          lastDraw = now;
          const columns = stream.columns && stream.columns > 0 ? stream.columns : 80;
          stream.write(`\r${renderDownload(done, total, file, columns)}\x1b[K`);
        },
      },
    );
    if (tty) stream.write('\r\x1b[K');
    const preview = req.previewDecoder
      ? await pullPreviewDecoder(result.dir, req.previewDecoder, hub)
      : undefined;
    if (preview && !req.json)
      io.stderr.write(
        `preview decoder: ${preview.source} -> ${preview.file} (${formatBytes(preview.bytes)})\n`,
      );
    if (req.json) {
      io.stdout.write(
        JSON.stringify({
          name: result.name,
          dir: result.dir,
          layout: result.layout,
          family: result.manifest.family,
          downloaded: result.downloaded,
          skipped: result.skipped,
          bytes: result.bytes,
          scheduler: result.scheduler,
          ...(preview ? { previewDecoder: preview.file } : {}),
        }) + '\n',
      );
    } else {
      io.stderr.write(
        `${result.name}: ${result.manifest.family} model, ${result.downloaded} downloaded, ${result.skipped} already there; use it with --model ${result.name}\n${result.scheduler}\n`,
      );
      io.stdout.write(result.dir + '\n');
    }
    return EXIT.ok;
  } catch (err) {
    if (tty) stream.write('\r\x1b[K');
    throw err instanceof HubError ? hubMessage(err) : err;
  }
}
