// Runs in the inference process and the CLI (pure math, no I/O).
// Tiled noise estimates (MultiDiffusion, Bar-Tal et al. 2023): a sample larger than the UNet's
// input is covered by overlapping windows of the UNet's size; the inner estimator runs on each
// window (all windows' requests in the same batched call) and each element's estimate is the
// average over the windows that cover it. With one window covering the sample it is the inner
// estimator itself.
import type { DenoiserOutput, Estimator, Shape } from './types.ts';

/** Window origins along one axis: 0, stride, ..., and the last one flush with the end. */
export function windowStarts(size: number, window: number, stride: number): number[] {
  if (window > size) throw new RangeError(`window ${window} is larger than the sample (${size})`);
  if (!(stride >= 1)) throw new RangeError('stride must be at least 1');
  const out: number[] = [];
  for (let s = 0; s + window < size; s += stride) out.push(s);
  out.push(size - window);
  return out;
}

function crop(x: Float32Array, big: Shape, tile: Shape, y0: number, x0: number): Float32Array {
  const out = new Float32Array(tile.channels * tile.height * tile.width);
  for (let c = 0; c < tile.channels; c++)
    for (let y = 0; y < tile.height; y++) {
      const from = (c * big.height + y0 + y) * big.width + x0;
      out.set(x.subarray(from, from + tile.width), (c * tile.height + y) * tile.width);
    }
  return out;
}

/** The inner estimator (made for `tile`-sized samples) over overlapping windows of a `big` sample, averaged where they overlap. */
export function tiled(inner: Estimator, big: Shape, tile: Shape, stride: number): Estimator {
  if (big.channels !== tile.channels) throw new RangeError('tiles must have the sample channels');
  const windows: [number, number][] = [];
  for (const y0 of windowStarts(big.height, tile.height, stride))
    for (const x0 of windowStarts(big.width, tile.width, stride)) windows.push([y0, x0]);
  const n = big.channels * big.height * big.width;
  const cover = new Float32Array(big.height * big.width);
  for (const [y0, x0] of windows)
    for (let y = 0; y < tile.height; y++)
      for (let x = 0; x < tile.width; x++) cover[(y0 + y) * big.width + x0 + x]++;
  let counts: number[] = [];
  return {
    requests(x, t) {
      counts = [];
      return windows.flatMap(([y0, x0]) => {
        const r = inner.requests(crop(x, big, tile, y0, x0), t);
        counts.push(r.length);
        return r;
      });
    },
    combine(outputs) {
      const eps = new Float32Array(n);
      let vars: Float32Array | undefined;
      let k = 0;
      windows.forEach(([y0, x0], w) => {
        const est = inner.combine(outputs.slice(k, k + counts[w]));
        k += counts[w];
        if (est.varValues) vars ??= new Float32Array(n);
        for (let c = 0; c < big.channels; c++)
          for (let y = 0; y < tile.height; y++)
            for (let x = 0; x < tile.width; x++) {
              const i = (c * big.height + y0 + y) * big.width + x0 + x;
              const j = (c * tile.height + y) * tile.width + x;
              eps[i] += est.eps[j];
              if (vars && est.varValues) vars[i] += est.varValues[j];
            }
      });
      const hw = big.height * big.width;
      for (let i = 0; i < n; i++) {
        eps[i] /= cover[i % hw];
        if (vars) vars[i] /= cover[i % hw];
      }
      const out: DenoiserOutput = { eps };
      if (vars) out.varValues = vars;
      return out;
    },
  };
}
