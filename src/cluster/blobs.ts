// Runs in the bot's process (scale-out front-end) and the scale-out worker.
// Blobs of scale-out mode: uploads, result files, progress previews and the raw results that
// follow-ups start from travel between front-ends and workers as Redis strings with a time-to-live, referenced by key from job data, progress and
// return values (never inside BullMQ's job data).
import { readFile, writeFile, mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keys } from './redis.ts';

/** Reads and writes blobs by name. */
export class BlobStore {
  constructor(
    private readonly redis: Redis,
    /** Default time-to-live of a blob, in seconds (BLOB_TTL_HOURS). */
    readonly ttlSeconds: number,
  ) {}

  /** Stores bytes under `name` with a time-to-live; returns the name. */
  async put(name: string, bytes: Uint8Array, ttlSeconds = this.ttlSeconds): Promise<string> {
    await this.redis.set(
      keys.blob(name),
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      'EX',
      ttlSeconds,
    );
    return name;
  }

  /** The bytes of a blob, or null when it expired or never existed. */
  async get(name: string): Promise<Buffer | null> {
    return this.redis.getBuffer(keys.blob(name));
  }

  /** Whether a blob exists (renewing its time-to-live when it does). */
  async touch(name: string, ttlSeconds = this.ttlSeconds): Promise<boolean> {
    return (await this.redis.expire(keys.blob(name), ttlSeconds)) === 1;
  }

  /** Stores a file's bytes under `name`. */
  async putFile(name: string, file: string, ttlSeconds = this.ttlSeconds): Promise<string> {
    return this.put(name, await readFile(file), ttlSeconds);
  }

  /** Writes a blob to `file` (atomically); false when the blob is gone. */
  async toFile(name: string, file: string): Promise<boolean> {
    const bytes = await this.get(name);
    if (!bytes) return false;
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
    return true;
  }

  /** Deletes blobs. */
  async remove(...names: string[]): Promise<void> {
    if (names.length) await this.redis.del(...names.map((n) => keys.blob(n)));
  }
}

/** Blob names. */
export const blobNames = {
  upload: (ref: string) => `upload:${ref}`,
  result: (jobId: string, file: 'png' | 'raw' | 'gif') => `result:${jobId}:${file}`,
  preview: (jobId: string) => `preview:${jobId}`,
  /** A finished job's raw result, shared by the front-end for the workers that run its follow-ups. */
  parentResult: (jobId: string) => `parent:${jobId}:raw`,
};
