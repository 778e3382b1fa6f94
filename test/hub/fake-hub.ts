// A local fake of the Hugging Face hub on 127.0.0.1 speaking the endpoints the pull uses: the tree
// API (paginated with Link headers), `resolve` downloads (LFS-style files redirected to a CDN path,
// Range requests answered with 206), a bearer token check, and fault injection (a connection
// dropped mid-file once; a listing that states a wrong size).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';

/** One request the fake received. */
export interface HubRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

/** Options of the fake hub. */
export interface FakeHubOptions {
  /** repo id -> folder served as its `main` revision. */
  repos: Record<string, string>;
  /** Extra virtual files per repo (path -> content), e.g. files the pull must skip. */
  extra?: Record<string, Record<string, Buffer>>;
  /** Required bearer token (401 without it). */
  token?: string;
  /** Tree API page size (Link rel="next" beyond it). */
  pageSize?: number;
}

/** The running fake with its request log and fault switches. */
export interface FakeHub {
  endpoint: string;
  requests: HubRequest[];
  /** Repository paths whose next download sends half the bytes, then drops the connection. */
  dropOnce: Set<string>;
  /** Repository paths whose listed size is off by this many bytes. */
  sizeDelta: Map<string, number>;
  close(): Promise<void>;
}

function walk(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...walk(full, base));
    else out.push(relative(base, full).split('\\').join('/'));
  }
  return out;
}

/** Start the fake hub on 127.0.0.1 (a free port). */
export async function startFakeHub(options: FakeHubOptions): Promise<FakeHub> {
  const requests: HubRequest[] = [];
  const dropOnce = new Set<string>();
  const sizeDelta = new Map<string, number>();
  const pageSize = options.pageSize ?? 1000;

  const filesOf = (repo: string): Map<string, Buffer> => {
    const map = new Map<string, Buffer>();
    const root = options.repos[repo];
    for (const p of walk(root)) map.set(p, readFileSync(join(root, p)));
    for (const [p, data] of Object.entries(options.extra?.[repo] ?? {})) map.set(p, data);
    return map;
  };

  const send = (
    res: ServerResponse,
    status: number,
    body: string,
    headers: Record<string, string> = {},
  ): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
  };

  const serveFile = (req: IncomingMessage, res: ServerResponse, repoPath: string, data: Buffer): void => {
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= data.length) return send(res, 416, '{"error":"range"}');
    }
    const body = data.subarray(start);
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream',
      'content-length': String(body.length),
      'accept-ranges': 'bytes',
    };
    if (range) headers['content-range'] = `bytes ${start}-${data.length - 1}/${data.length}`;
    res.writeHead(range ? 206 : 200, headers);
    if (dropOnce.has(repoPath)) {
      dropOnce.delete(repoPath);
      const half = body.subarray(0, Math.floor(body.length / 2));
      // Give the client time to read the half before the drop (a web stream that errors discards unread chunks).
      res.write(half, () => setTimeout(() => res.socket?.destroy(), 300));
      return;
    }
    res.end(body);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    requests.push({
      method: req.method ?? 'GET',
      path,
      range: req.headers.range,
      authorization: req.headers.authorization,
    });
    // CDN paths (redirect targets) need no token, like the hub's LFS storage.
    const cdn = /^\/cdn\/(.+?)\/main\/(.+)$/.exec(path);
    if (cdn) {
      const [, repo, p] = cdn;
      const data = options.repos[repo] ? filesOf(repo).get(p) : undefined;
      return data ? serveFile(req, res, p, data) : send(res, 404, '{"error":"not found"}');
    }
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      return send(res, 401, '{"error":"Invalid credentials"}');
    }
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(path);
    if (tree) {
      const [, repo, rev, sub] = tree;
      if (!options.repos[repo] || rev !== 'main') return send(res, 404, '{"error":"Repository not found"}');
      const prefix = sub ? `${sub.replace(/\/$/, '')}/` : '';
      const entries = [...filesOf(repo)]
        .filter(([p]) => p.startsWith(prefix))
        .map(([p, data]) => {
          const size = data.length + (sizeDelta.get(p) ?? 0);
          return p.endsWith('.onnx')
            ? {
                type: 'file',
                path: p,
                size: 134,
                oid: 'x',
                lfs: { oid: 'f'.repeat(64), size, pointerSize: 134 },
              }
            : { type: 'file', path: p, size, oid: 'y' };
        });
      const cursor = Number(url.searchParams.get('cursor') ?? '0');
      const page = entries.slice(cursor, cursor + pageSize);
      const headers: Record<string, string> = {};
      if (cursor + pageSize < entries.length) {
        const next = new URL(url.href);
        next.searchParams.set('cursor', String(cursor + pageSize));
        headers.link = `<http://${req.headers.host}${next.pathname}${next.search}>; rel="next"`;
      }
      return send(res, 200, JSON.stringify(page), headers);
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (resolve) {
      const [, repo, rev, p] = resolve;
      const data = options.repos[repo] && rev === 'main' ? filesOf(repo).get(p) : undefined;
      if (!data) return send(res, 404, '{"error":"Entry not found"}');
      if (p.endsWith('.onnx')) {
        res.writeHead(302, { location: `/cdn/${repo}/main/${p}` });
        return res.end();
      }
      return serveFile(req, res, p, data);
    }
    send(res, 404, '{"error":"not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    dropOnce,
    sizeDelta,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
