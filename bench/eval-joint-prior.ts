// An experimental anagram prior for the illusion eval (variant "joint prior + UNet"): the
// closed-form denoiser of the product of the two prompts' tile sets, one seen through the view,
// wrapping the averaged anagram estimate (instead of each view's own prior on its branch).
//
// For tiles y_i (prompt a) and z_j (prompt b, brought into the picture's frame: u_j = V^-1 z_j), the
// block averages p of x_t are sqrt(abar) y_i + noise and, through the view, sqrt(abar) u_j + noise,
// each of variance s^2 = (1 - abar) / k^2. Their product is a mixture over pairs (i, j) with mean
// m_ij = (y_i + u_j) / 2, variance s^2 / 2 and weights
//   w_ij ∝ pi_i rho_j exp(-abar |y_i - u_j|^2 / (4 s^2)) exp(-|p - sqrt(abar) m_ij|^2 / s^2),
// so pairs whose two pictures agree are preferred, more so as the noise falls. The refiner sets the
// block averages of x0 to sum w_ij m_ij with the prior's ramp (full from fromT, none at toT).
import { blockAverage, type Shape, type View, type X0Refiner } from '../src/diffusion/index.ts';

export interface TileSet {
  tiles: Float32Array;
  weights: readonly number[];
}

export function jointAnagramRefiner(o: {
  shape: Shape;
  size: number;
  a: TileSet;
  b: TileSet;
  view: View;
  fromT: number;
  toT: number;
}): X0Refiner {
  const { shape, size, a, b, view, fromT, toT } = o;
  const per = shape.channels * size * size;
  const tileShape: Shape = { channels: shape.channels, height: size, width: size };
  const ub = new Float32Array(b.tiles.length);
  for (let j = 0; j < b.weights.length; j++) ub.set(view.inverse(b.tiles.slice(j * per, (j + 1) * per), tileShape), j * per);
  const pairs: { i: number; j: number; logPrior: number; gap: number; mid: Float32Array }[] = [];
  for (let i = 0; i < a.weights.length; i++)
    for (let j = 0; j < b.weights.length; j++) {
      if (!(a.weights[i] > 0 && b.weights[j] > 0)) continue;
      const mid = new Float32Array(per);
      let gap = 0;
      for (let k = 0; k < per; k++) {
        const y = a.tiles[i * per + k];
        const u = ub[j * per + k];
        mid[k] = (y + u) / 2;
        gap += (y - u) ** 2;
      }
      pairs.push({ i, j, logPrior: Math.log(a.weights[i]) + Math.log(b.weights[j]), gap, mid });
    }
  const ky = shape.height / size;
  const kx = shape.width / size;
  const area = ky * kx;
  return (x0, xt, t, abarT) => {
    const lambda = t >= fromT ? 1 : Math.max(0, (t - toT) / (fromT - toT));
    if (lambda <= 0 || pairs.length === 0) return false;
    const p = blockAverage(xt, shape, size);
    const s2 = Math.max(1 - abarT, 1e-12) / area;
    const sa = Math.sqrt(abarT);
    const logits = pairs.map((q) => {
      let d = 0;
      for (let k = 0; k < per; k++) d += (p[k] - sa * q.mid[k]) ** 2;
      return q.logPrior - (abarT * q.gap) / (4 * s2) - d / s2;
    });
    const max = Math.max(...logits);
    const w = logits.map((l) => Math.exp(l - max));
    const sum = w.reduce((x, y) => x + y, 0);
    const target = new Float32Array(per);
    pairs.forEach((q, n) => {
      const f = w[n] / sum;
      if (f > 0) for (let k = 0; k < per; k++) target[k] += f * q.mid[k];
    });
    const current = blockAverage(x0, shape, size);
    for (let c = 0; c < shape.channels; c++)
      for (let y = 0; y < shape.height; y++)
        for (let x = 0; x < shape.width; x++) {
          const blk = (c * size + Math.floor(y / ky)) * size + Math.floor(x / kx);
          const k = (c * shape.height + y) * shape.width + x;
          x0[k] = Math.min(1, Math.max(-1, x0[k] + lambda * (target[blk] - current[blk])));
        }
    return true;
  };
}
