// Runs in the bot's process (and a scale-out front-end).
// Upload storage: an uploaded image is checked from its header (and libvips' stats of its alpha
// channel when it has one; never decoded here: the inference process decodes it once, when a job
// uses it), written once under DATA_DIR/uploads by its sha256, and recorded in the job store.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkUpload, isImageInputError } from '../imaging/index.ts';
import { refusal, type EngineRefusal, type JobOwner, type StoredUpload } from '../jobs/api.ts';
import { uploadFile } from '../jobs/paths.ts';
import { storageFailure, type StorageHealth } from '../jobs/storage-health.ts';
import type { JobStore } from '../store/store.ts';

/** Checks and stores an uploaded image, recording `owner` as one who may use its reference; a bad image is refused with a message for the user, and a disk that cannot take it with 'unavailable' (noted in `to.storage` for /healthz). */
export async function storeUpload(
  bytes: Uint8Array,
  to: { dataDir: string; store: JobStore; limits: { maxBytes?: number; maxPixels?: number }; storage?: StorageHealth },
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
  const hasAlpha = decoded.hasAlpha;
  try {
    if (!existsSync(file)) {
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      await (to.storage ? to.storage.writeFile(tmp, bytes) : writeFile(tmp, bytes)).catch(async (err: unknown) => {
        await rm(tmp, { force: true }).catch(() => undefined);
        throw err;
      });
      await rename(tmp, file);
    }
    to.store.putUpload({ ref, width: decoded.width, height: decoded.height, hasAlpha, bytes: bytes.length, createdAt: Date.now() });
    if (owner) to.store.addUploadOwner(ref, owner);
  } catch (err) {
    // A full or read-only disk is the bot's trouble, not the image's: 503-like, and /healthz says so.
    const why = storageFailure(err);
    if (!why) throw err;
    to.storage?.noteFailure(why, bytes.length);
    return refusal('unavailable', `I can't store your image right now (${why}); try again later.`);
  }
  to.storage?.noteSuccess();
  return { ok: true, ref, width: decoded.width, height: decoded.height, hasAlpha };
}
