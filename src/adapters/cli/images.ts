// Input images of the CLI: files read and decoded with the imaging layer's limits, kept by the
// sha256 of their bytes (the spec's image reference), and fitted to the model on demand. An earlier
// result that a follow-up starts from is kept as bytes: the executor decodes and cuts it.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import {
  DEFAULT_MAX_BYTES,
  decodeImage,
  imageForModel,
  isImageInputError,
  maskForModel,
  type DecodedImage,
} from '../../imaging/index.ts';
import type { InputImage } from '../../pipeline/execute.ts';
import type { Shape } from '../../diffusion/types.ts';
import { InputFileError } from './errors.ts';

function mb(bytes: number): string {
  const v = bytes / (1024 * 1024);
  return v >= 10 ? v.toFixed(0) : v.toFixed(1).replace(/\.0$/, '');
}

/**
 * The bytes of a regular file, at most `limit` of them. Opened without blocking (a FIFO with no writer
 * would wait forever) and checked with fstat on the open descriptor: devices, pipes and sockets are
 * refused, and a file that grows past the limit while read is refused too.
 */
async function readRegularFile(path: string, what: string, limit: number): Promise<Buffer> {
  const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new InputFileError(`${what} '${path}' is a directory, not an image file`);
    if (!st.isFile()) {
      throw new InputFileError(
        `${what} '${path}' is not a regular file (a device, pipe or socket); give an image file`,
      );
    }
    const tooLarge = (size: string) =>
      new InputFileError(`${what} '${path}' is ${size} MB; the limit is ${mb(limit)} MB`);
    if (st.size > limit) throw tooLarge(mb(st.size));
    const buf = Buffer.alloc(limit + 1);
    let got = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
      if (got > limit) throw tooLarge(`over ${mb(limit)}`);
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

/** Most bytes of an earlier result read as a follow-up's input (a grid of 4 at 1024 px fits). */
const RESULT_MAX_BYTES = 32 * 1024 * 1024;

/** The bytes of an input file; every failure is an InputFileError naming the file. */
async function readInputBytes(path: string, what: 'image' | 'mask', limit: number): Promise<Buffer> {
  try {
    return await readRegularFile(path, what, limit);
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : ((err as Error).message ?? String(err));
    throw new InputFileError(`cannot read ${what} '${path}': ${why}`);
  }
}

/** Read and decode one input file (image or mask) with the imaging limits; every failure is an InputFileError naming the file. */
export async function readImageFile(
  path: string,
  what: 'image' | 'mask' = 'image',
): Promise<{ ref: string; decoded: DecodedImage }> {
  const bytes = await readInputBytes(path, what, DEFAULT_MAX_BYTES);
  let decoded: DecodedImage;
  try {
    decoded = await decodeImage(bytes);
  } catch (err) {
    if (isImageInputError(err)) throw new InputFileError(`${what} '${path}': ${err.message}`, { cause: err });
    throw err;
  }
  return { ref: createHash('sha256').update(bytes).digest('hex'), decoded };
}

/** Decoded inputs by reference, with the executor's loaders (cover-fit to the model's image shape). */
export class ImageStore {
  private readonly images = new Map<string, DecodedImage>();
  private readonly results = new Map<string, Buffer>();

  /** Reads a file into the store; returns its reference. */
  async add(path: string, what: 'image' | 'mask'): Promise<string> {
    const { ref, decoded } = await readImageFile(path, what);
    this.images.set(ref, decoded);
    return ref;
  }

  /** Reads an earlier result (a follow-up's input) as bytes; returns its reference, the sha256 of its bytes. */
  async addResult(path: string): Promise<string> {
    const bytes = await readInputBytes(path, 'image', RESULT_MAX_BYTES);
    const ref = createHash('sha256').update(bytes).digest('hex');
    this.results.set(ref, bytes);
    return ref;
  }

  /** The bytes of an earlier result read by addResult (the executor's readResult). */
  async readResult(ref: string): Promise<Uint8Array> {
    const bytes = this.results.get(ref);
    if (!bytes) throw new Error(`no earlier result with reference ${ref}`);
    return bytes;
  }

  /** Whether the image has transparent pixels (what /inpaint repaints when no mask is given). */
  hasTransparency(ref: string): boolean {
    return this.get(ref).alpha !== undefined;
  }

  private get(ref: string): DecodedImage {
    const d = this.images.get(ref);
    if (!d) throw new Error(`no input image with reference ${ref}`);
    return d;
  }

  /** The image at the model's resolution (center crop), as CHW in [-1, 1], with its transparency mask (1 = regenerate) if any. */
  loadImage(ref: string, shape: Shape): Promise<InputImage> {
    return imageForModel(this.get(ref), shape.width, shape.height);
  }

  /** A mask image at the model's resolution: white (luma >= 128) = 1 = regenerate. */
  loadMask(ref: string, shape: Shape): Promise<Float32Array> {
    return maskForModel(this.get(ref), shape.width, shape.height);
  }
}
