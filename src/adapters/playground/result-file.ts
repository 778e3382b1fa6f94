// Runs in the bot's process (the playground's HTTP server).
// GET /api/jobs/:id/image.png, raw.png and trajectory.gif: a job's result files, streamed with an
// ETag, to the session that may see the job (another session's private job answers 404).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, statusOfRefusal } from './http-error.ts';
import { getRecord } from './job-events.ts';
import type { ServerDeps } from './server.ts';

/** What a file answer needs of the request. */
export interface FileCtx {
  req: IncomingMessage;
  res: ServerResponse;
  deps: ServerDeps;
  session: string;
}

/** GET /api/jobs/:id/image.png, raw.png, trajectory.gif */
export async function sendResultFile(ctx: FileCtx, id: string, which: 'png' | 'rawPng' | 'gif'): Promise<void> {
  await getRecord(ctx.deps, id, ctx.session); // another session's private job: 404
  const answer = await ctx.deps.engine.resultFiles(id);
  if (!answer.ok) throw new HttpError(statusOfRefusal(answer.code), answer.message, answer.code);
  const file = answer.files[which];
  if (!file)
    throw new HttpError(404, `Job ${id} has no trajectory GIF (its technique draws no frames).`, 'no_result');
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new HttpError(404, `The files of job ${id} are gone; regenerate it to get new ones.`, 'no_result');
  }
  const etag = `"${id}-${which}-${size}"`;
  const headers = {
    'content-type': which === 'gif' ? 'image/gif' : 'image/png',
    'cache-control': 'private, max-age=86400',
    etag,
    'content-disposition': `inline; filename="${id}${which === 'gif' ? '-trajectory.gif' : which === 'rawPng' ? '-raw.png' : '.png'}"`,
  };
  if (ctx.req.headers['if-none-match'] === etag) {
    ctx.res.writeHead(304, headers).end();
    return;
  }
  ctx.res.writeHead(200, { ...headers, 'content-length': String(size) });
  if (ctx.req.method === 'HEAD') {
    ctx.res.end();
    return;
  }
  await new Promise<void>((resolve) => {
    const s = createReadStream(file);
    s.on('error', () => {
      ctx.res.destroy();
      resolve();
    });
    s.on('end', resolve);
    s.pipe(ctx.res);
  });
}
