// The per-user limit for requests without a session cookie. Every cookie-less request would
// otherwise get a fresh session (a fresh "user"), so a script that drops the cookie could queue
// without bound; such requests share one allowance per client address instead.
import { isIPv6 } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Engine } from '../../jobs/api.ts';

/** The key of a client address: IPv4 as is (IPv4-mapped IPv6 unwrapped), IPv6 by its /64 network (one host usually holds a whole /64). */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const a = address.toLowerCase().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) return mapped[1];
  if (!isIPv6(a)) return a;
  return expandIPv6(a).slice(0, 4).join(':') + '::/64';
}

/** The eight hextets of an IPv6 address (no embedded IPv4 form; that is handled as mapped above or kept whole). */
function expandIPv6(a: string): string[] {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
  return [...left, ...fill, ...right].map((h) => String(parseInt(h, 16) || 0));
}

/** The address key of a request's peer (the socket's address: forwarded headers are not trusted). */
export function clientAddressKey(req: IncomingMessage): string {
  return addressKey(req.socket.remoteAddress);
}

/** A held place under the limit: `keep(jobId)` once a job was queued, `release()` when none was. */
export interface AddressSlot {
  keep(jobId: string): void;
  release(): void;
}

/** Jobs submitted without a session cookie, by client address, capped at `max` waiting or running per address. */
export class AddressLimit {
  private readonly jobs = new Map<string, Set<string>>();
  private readonly pending = new Map<string, number>();

  constructor(
    private readonly engine: Pick<Engine, 'get'>,
    private readonly max: number,
  ) {}

  /** Holds a place for one more job from `key`, or returns null when the address already has `max` waiting or running. */
  async acquire(key: string): Promise<AddressSlot | null> {
    await this.forgetFinished(key);
    const held = (this.jobs.get(key)?.size ?? 0) + (this.pending.get(key) ?? 0);
    if (held >= this.max) return null;
    this.pending.set(key, (this.pending.get(key) ?? 0) + 1);
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      const n = (this.pending.get(key) ?? 1) - 1;
      if (n <= 0) this.pending.delete(key);
      else this.pending.set(key, n);
      return true;
    };
    return {
      keep: (jobId) => {
        if (!close()) return;
        let set = this.jobs.get(key);
        if (!set) this.jobs.set(key, (set = new Set()));
        set.add(jobId);
      },
      release: () => void close(),
    };
  }

  /** Drops the address's jobs that are no longer waiting or running. */
  private async forgetFinished(key: string): Promise<void> {
    const set = this.jobs.get(key);
    if (!set) return;
    for (const id of [...set]) {
      const rec = await this.engine.get(id);
      if (!rec || (rec.status !== 'queued' && rec.status !== 'running')) set.delete(id);
    }
    if (set.size === 0 && this.jobs.get(key) === set) this.jobs.delete(key);
  }
}
