// Helpers of the CLI tests: run the real `diffuse` launcher as a child process in a temp
// directory, and craft input images.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'diffuse.js');
export const MODELS_DIR = join(ROOT, 'models');

/** What one run of the CLI did. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node bin/diffuse.js ...args` in cwd with a clean environment (plus env); resolves when it exits. */
export function runCli(
  args: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<CliRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** A fresh temp directory and its cleanup. */
export function tempDir(prefix = 'diffuse-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Write a w x h RGBA PNG: a colour gradient, fully transparent inside the given box (if any). */
export async function writeTestPng(
  file: string,
  w: number,
  h: number,
  hole?: { x0: number; y0: number; x1: number; y1: number },
): Promise<void> {
  const px = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      px[i] = (x * 255) / Math.max(1, w - 1);
      px[i + 1] = (y * 255) / Math.max(1, h - 1);
      px[i + 2] = 96;
      px[i + 3] = hole && x >= hole.x0 && x < hole.x1 && y >= hole.y0 && y < hole.y1 ? 0 : 255;
    }
  }
  await sharp(px, { raw: { width: w, height: h, channels: 4 } })
    .png()
    .toFile(file);
}

/** Write a greyscale mask PNG: white (regenerate) left of column `split`, black elsewhere. */
export async function writeMaskPng(file: string, w: number, h: number, split: number): Promise<void> {
  const px = Buffer.alloc(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) px[y * w + x] = x < split ? 255 : 0;
  await sharp(px, { raw: { width: w, height: h, channels: 1 } })
    .png()
    .toFile(file);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** Write a tiny (under 100 bytes) but valid-headed PNG that declares width x height pixels: a cheap oversized image. */
export function writeHugeHeaderPng(file: string, width: number, height: number): void {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  writeFileSync(
    file,
    Buffer.concat([
      sig,
      pngChunk('IHDR', ihdr),
      pngChunk('IDAT', deflateSync(Buffer.alloc(64))),
      pngChunk('IEND', Buffer.alloc(0)),
    ]),
  );
}
