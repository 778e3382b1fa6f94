// Runs in the bot's process (and a scale-out front-end).
// Upload storage: an uploaded image is checked from its header (and libvips' stats of its alpha
// channel when it has one; never decoded here: the inference process decodes it once, when a job
// uses it), written once under DATA_DIR/uploads by its sha256, and recorded in the job store.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkUpload, isImageInputError } from '../imaging/index.ts';
import { refusal, type EngineRefusal, type JobOwner, type StoredUpload } from '../jobs/api.ts';
import { uploadFile } from '../jobs/paths.ts';
import type { JobStore } from '../store/store.ts';

/** Checks and stores an uploaded image, recording `owner` as one who may use its reference; a bad image is refused with a message for the user. */
export async function storeUpload(
  bytes: Uint8Array,
  to: { dataDir: string; store: JobStore; limits: { maxBytes?: number; maxPixels?: number } },
  owner?: JobOwner,
): Promise<StoredUpload | EngineRefusal> {
  let decoded;
  try {
    // Header and libvips' native stats only: no upload's pixels reach this thread.
    decoded = await checkUpload(bytes, to.limits);
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
  if (owner) to.store.addUploadOwner(ref, owner);
  return { ok: true, ref, width: decoded.width, height: decoded.height, hasAlpha };
}
