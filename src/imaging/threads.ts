// sharp encodes on libvips worker threads. Those start at the priority of the thread that first
// needed them (one of libuv's pool threads, at the normal priority), whichever thread asks for the
// encoding. A thread that runs at a lower priority and encodes through sharp (the inference thread:
// previews, GIFs, results) moves them down with it, so that the encoders do not take cores from a
// busier, more urgent thread (the bot's main thread). Linux only: elsewhere this does nothing.
import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

const lowered = new Set<number>();

/** Gives every libvips worker thread of this process the nice value `nice`; returns how many were changed. */
export function lowerImagingThreads(nice: number): number {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return 0; // no /proc: not Linux
  }
  let changed = 0;
  for (const t of tids) {
    const tid = Number(t);
    if (lowered.has(tid)) continue;
    try {
      if (readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() !== 'libvips worker') continue;
      setPriority(tid, nice);
      lowered.add(tid);
      changed++;
    } catch {
      // the thread ended meanwhile, or the priority cannot be changed here
    }
  }
  return changed;
}
