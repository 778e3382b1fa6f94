// Upload storage: an uploaded image is checked (header here, decode in a worker thread), written
// once under DATA_DIR/uploads by its sha256, and recorded in the job store.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isImageInputError, probeImage } from '../imaging/index.ts';
import { refusal, type EngineRefusal, type StoredUpload } from '../jobs/api.ts';
import { uploadFile } from '../jobs/paths.ts';
import type { JobStore } from '../store/store.ts';

/** Checks and stores an uploaded image; a bad image is refused with a message for the user. */
export async function storeUpload(
  bytes: Uint8Array,
  to: { dataDir: string; store: JobStore; limits: { maxBytes?: number; maxPixels?: number } },
): Promise<StoredUpload | EngineRefusal> {
  let decoded;
  try {
    // Header checked here, decoded in a worker thread (at most 2 at once): no upload stalls the main thread.
    decoded = await probeImage(bytes, to.limits);
  } catch (err) {
    if (isImageInputError(err)) return refusal('bad_image', err.message);
    throw err;
  }
  const ref = createHash('sha256').update(bytes).digest('hex');
  const file = uploadFile(to.dataDir, ref);
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  }
  const hasAlpha = decoded.hasAlpha;
  to.store.putUpload({
    ref,
    width: decoded.width,
    height: decoded.height,
    hasAlpha,
    bytes: bytes.length,
    createdAt: Date.now(),
  });
  return { ok: true, ref, width: decoded.width, height: decoded.height, hasAlpha };
}
