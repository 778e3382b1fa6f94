// Runs in the inference process and the CLI.
// The Hugging Face hub over HTTPS, as its own clients use it: endpoint from HF_ENDPOINT (default
// https://huggingface.co), token from HF_TOKEN, file listing from the tree API
// (`/api/models/{repo}/tree/{revision}/{path}?recursive=true`, paginated by Link headers),
// downloads from `/{repo}/resolve/{revision}/{path}` (redirects followed, the token sent only
// to the endpoint's own origin).

/** Where the hub is and how to authenticate. */
export interface HubOptions {
  endpoint: string;
  token?: string;
  /** Injected fetch (tests); default globalThis.fetch. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** What went wrong talking to the hub: `not-found` and `unauthorized` are the user's to fix. */
export type HubErrorCode = 'not-found' | 'unauthorized' | 'http' | 'network' | 'size-mismatch' | 'layout';

/** An error of the hub client, with a code and a message for the user. */
export class HubError extends Error {
  override name = 'HubError';
  constructor(
    readonly code: HubErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** One file of a repository listing; `size` is the real size (the LFS object's for LFS files). */
export interface RepoFile {
  path: string;
  size: number;
  /** SHA-256 of LFS files, when listed. */
  sha256?: string;
}

/** Hub options from the environment as huggingface_hub reads them: HF_ENDPOINT, HF_TOKEN (or HUGGING_FACE_HUB_TOKEN). */
export function hubOptionsFromEnv(env: NodeJS.ProcessEnv): HubOptions {
  const endpoint = (env.HF_ENDPOINT?.trim() || 'https://huggingface.co').replace(/\/+$/, '');
  const token = env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim() || undefined;
  return { endpoint, token };
}

/** A repository id is `owner/name` (or a bare `name`) of letters, digits, `-`, `_`, `.`. */
export function checkRepoId(repo: string): void {
  if (!/^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/.test(repo) || repo.includes('..')) {
    throw new HubError('not-found', `'${repo}' is not a repository id (expected owner/name)`);
  }
}

function encodePath(p: string): string {
  return p
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
}

/** The download URL of a file: `{endpoint}/{repo}/resolve/{revision}/{path}`. */
export function resolveUrl(o: HubOptions, repo: string, revision: string, path: string): string {
  return `${o.endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${encodePath(path)}`;
}

/** GET with redirects followed by hand (at most 10), the token sent only to the endpoint's origin. */
export async function hubGet(
  o: HubOptions,
  url: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const doFetch = o.fetch ?? fetch;
  const origin = new URL(o.endpoint).origin;
  let current = url;
  for (let hop = 0; hop <= 10; hop++) {
    const h: Record<string, string> = { 'user-agent': 'diffuse-bot', ...headers };
    if (o.token && new URL(current).origin === origin) h.authorization = `Bearer ${o.token}`;
    let res: Response;
    try {
      res = await doFetch(current, { headers: h, redirect: 'manual', signal: o.signal });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new HubError('network', `cannot reach ${new URL(current).origin}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      current = new URL(location, current).href;
      continue;
    }
    return res;
  }
  throw new HubError('http', `too many redirects fetching ${url}`);
}

/** A failed response as a HubError (404: repository, revision or path not found; 401/403: token needed or refused). */
export async function statusError(res: Response, what: string): Promise<HubError> {
  await res.body?.cancel();
  if (res.status === 404)
    return new HubError(
      'not-found',
      `${what}: not found (check the repository id, --revision and --subfolder)`,
    );
  if (res.status === 401 || res.status === 403) {
    return new HubError(
      'unauthorized',
      `${what}: access denied (HTTP ${res.status}); gated or private models need a token in HF_TOKEN and accepted terms on the model page`,
    );
  }
  return new HubError('http', `${what}: HTTP ${res.status} ${res.statusText}`);
}

interface TreeEntry {
  type?: string;
  path?: string;
  size?: number;
  lfs?: { size?: number; oid?: string; sha256?: string };
}

function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1];
  }
  return undefined;
}

/** Every file under `subfolder` (or the whole repository) at `revision`, from the tree API, all pages. Paths are repository paths. */
export async function listRepoFiles(
  o: HubOptions,
  repo: string,
  revision: string,
  subfolder?: string,
): Promise<RepoFile[]> {
  checkRepoId(repo);
  const sub = subfolder ? `/${encodePath(subfolder)}` : '';
  let url: string | undefined =
    `${o.endpoint}/api/models/${repo}/tree/${encodeURIComponent(revision)}${sub}?recursive=true&expand=false`;
  const files: RepoFile[] = [];
  for (let page = 0; url && page < 1000; page++) {
    const res = await hubGet(o, url);
    if (!res.ok)
      throw await statusError(res, `listing ${repo}@${revision}${subfolder ? ` (${subfolder})` : ''}`);
    const body = (await res.json()) as unknown;
    if (!Array.isArray(body))
      throw new HubError('http', `listing ${repo}: unexpected answer from ${o.endpoint}`);
    for (const e of body as TreeEntry[]) {
      if (e.type !== 'file' || typeof e.path !== 'string') continue;
      const size = e.lfs?.size ?? e.size;
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) continue;
      files.push({ path: e.path, size, ...(e.lfs?.oid ? { sha256: e.lfs.oid } : {}) });
    }
    const next = nextLink(res.headers.get('link'));
    url = next ? new URL(next, url).href : undefined;
  }
  return files;
}
