// Runs in the inference process and the CLI.
// Mask helpers of the executor: bringing an inpainting mask to the sample's resolution, and
// pasting the known pixels back after a latent model's decode.

/** Nearest-neighbour resize of an H*W mask (identity when the sizes agree). */
export function resizeMaskNearest(m: Float32Array, w: number, h: number, W: number, H: number): Float32Array {
  if (w === W && h === H) return m;
  const out = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / H));
    for (let x = 0; x < W; x++) out[y * W + x] = m[sy * w + Math.min(w - 1, Math.floor(((x + 0.5) * w) / W))];
  }
  return out;
}

/** Downscale an H*W mask by taking the maximum over each target cell's source pixels (identity when the sizes agree). */
export function resizeMaskMax(m: Float32Array, w: number, h: number, W: number, H: number): Float32Array {
  if (w === W && h === H) return m;
  const out = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    const y0 = Math.floor((y * h) / H);
    const y1 = Math.max(y0 + 1, Math.ceil(((y + 1) * h) / H));
    for (let x = 0; x < W; x++) {
      const x0 = Math.floor((x * w) / W);
      const x1 = Math.max(x0 + 1, Math.ceil(((x + 1) * w) / W));
      let v = 0;
      for (let sy = y0; sy < Math.min(h, y1); sy++)
        for (let sx = x0; sx < Math.min(w, x1); sx++) v = Math.max(v, m[sy * w + sx]);
      out[y * W + x] = v;
    }
  }
  return out;
}

/** out <- m out + (1 - m) known, per pixel for every channel (m: H*W, 1 = regenerated). */
export function pasteKnown(out: Float32Array, known: Float32Array, m: Float32Array, channels: number): void {
  const hw = m.length;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < hw; i++) {
      const k = c * hw + i;
      out[k] = m[i] * out[k] + (1 - m[i]) * known[k];
    }
  }
}
