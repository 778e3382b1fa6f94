// One decode request as a decode worker thread runs it: the messages exchanged with the pool
// (plain structured-clone data) and the function that answers a request.
import { decodeImage, type DecodeLimits } from './decode.ts';
import { isImageInputError, type ImageInputErrorCode } from './errors.ts';
import type { ImageFormat } from './types.ts';

/** Pool -> worker: decode `bytes`; `pixels` false sends back the summary only. */
export interface DecodeRequest {
  id: number;
  bytes: Uint8Array;
  limits: DecodeLimits;
  pixels: boolean;
}

/** A decoded image as it crosses threads (rgb and alpha are transferred, not copied). */
export interface DecodedMessage {
  width: number;
  height: number;
  format: ImageFormat;
  frames: number;
  hasAlpha: boolean;
  rgb?: Uint8Array;
  alpha?: Uint8Array;
}

/** A failure as it crosses threads: an ImageInputError keeps its code, message and detail. */
export interface DecodeFailure {
  image: boolean;
  code?: ImageInputErrorCode;
  message: string;
  detail?: Record<string, number | string>;
}

/** Worker -> pool: the answer to request `id`. */
export type DecodeReply =
  { id: number; ok: true; image: DecodedMessage } | { id: number; ok: false; error: DecodeFailure };

/** Worker -> pool, once, when the worker listens: decode time is counted from here. */
export interface DecodeWorkerReady {
  ready: true;
}

/** Runs one request with decodeImage; returns the reply and the buffers to transfer with it. Never throws. */
export async function runDecodeRequest(
  req: DecodeRequest,
): Promise<{ reply: DecodeReply; transfer: ArrayBuffer[] }> {
  try {
    const d = await decodeImage(req.bytes, req.limits);
    const image: DecodedMessage = {
      width: d.width,
      height: d.height,
      format: d.format,
      frames: d.frames,
      hasAlpha: d.alpha !== undefined,
    };
    const transfer: ArrayBuffer[] = [];
    if (req.pixels) {
      image.rgb = d.rgb;
      transfer.push(d.rgb.buffer as ArrayBuffer);
      if (d.alpha) {
        image.alpha = d.alpha;
        transfer.push(d.alpha.buffer as ArrayBuffer);
      }
    }
    return { reply: { id: req.id, ok: true, image }, transfer };
  } catch (e) {
    const error: DecodeFailure = isImageInputError(e)
      ? { image: true, code: e.code, message: e.message, detail: { ...e.detail } }
      : { image: false, message: e instanceof Error ? e.message : String(e) };
    return { reply: { id: req.id, ok: false, error }, transfer: [] };
  }
}
