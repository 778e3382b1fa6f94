// Runs in the bot's process (header checks) and the inference process and CLI (decoding, encoding).
// Container detection from the first bytes, before any decoder sees the data.
import type { ImageFormat } from './types.ts';

/** What the leading bytes say a buffer is. `isobmff` is an AVIF/HEIF candidate; sharp tells which. */
export type Sniffed = Exclude<ImageFormat, 'avif'> | 'isobmff' | 'svg' | 'unknown';

function startsWith(buf: Uint8Array, bytes: readonly number[], offset = 0): boolean {
  if (buf.length < offset + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (buf[offset + i] !== bytes[i]) return false;
  return true;
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** Identify a raster container by its magic number (PNG, JPEG, GIF, RIFF/WEBP, TIFF, ISO-BMFF ftyp); XML/SVG text is reported as 'svg'. */
export function sniffFormat(buf: Uint8Array): Sniffed {
  if (startsWith(buf, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(buf, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(buf, ascii('GIF87a')) || startsWith(buf, ascii('GIF89a'))) return 'gif';
  if (startsWith(buf, ascii('RIFF')) && startsWith(buf, ascii('WEBP'), 8)) return 'webp';
  if (startsWith(buf, [0x49, 0x49, 0x2a, 0x00]) || startsWith(buf, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(buf, ascii('ftyp'), 4)) return 'isobmff';
  // SVG / XML: optional UTF-8 BOM and whitespace, then '<' and (within the first KiB) "<svg".
  let i = startsWith(buf, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0a || buf[i] === 0x0d)) i++;
  if (buf[i] === 0x3c) {
    const head = Buffer.from(buf.subarray(i, i + 1024))
      .toString('latin1')
      .toLowerCase();
    if (head.includes('<svg')) return 'svg';
  }
  return 'unknown';
}
