#!/usr/bin/env python3
"""Build a Stable-Diffusion-1.5-class model folder with seeded random weights, for benchmarks.

The UNet has SD 1.5's architecture and sizes: 4-channel 64x64 latents, blocks 320/640/1280/1280,
2 layers per down block (3 per up block), 8-head cross-attention on 77x768 text states, GEGLU
feed-forward, 1280-wide time embedding: about 860M parameters (the count is printed). The VAE
decoder has SD's shape (post-quant conv, 512-channel mid block with attention, up blocks
512/512/256/128 with 3 resnets each, 64x64 latents to 512x512 images). The text encoder is
CLIP-ViT-L-shaped (12 layers, 768 wide) over the small tokenizer of models/tiny-sd. Timing does
not depend on the weights, so they are random (seeded): the images are noise.

The folder uses the diffusers/optimum ONNX layout and a model.json the bot loads (family latent):
  OUT/model.json, tokenizer/, text_encoder/model.onnx, unet/model.onnx, vae_decoder/model.onnx

Usage:
  /usr/bin/python3 bench/build-sd15.py OUT [--dtype float32|float16] [--tiny]
--tiny: the same architecture with small widths (blocks 32/64/64/64, 1 layer, 8x8 latents,
64x64 images, text width 64) for quick tests. float16 exports on CUDA when available; where
PyTorch has no float16 kernels (CPU PyTorch 1.13) it traces in float32 and converts the graph with
the onnx package (Debian: python3-onnx). Needs torch (1.13 or newer); onnx only for that case.
"""
import argparse
import inspect
import json
import math
import os
import shutil
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TOKENIZER = os.path.join(ROOT, "models", "tiny-sd", "tokenizer")

FULL = dict(blocks=(320, 640, 1280, 1280), layers=2, heads=8, cross=768, latent=64, text_layers=12,
            text_heads=12, vae=(128, 256, 512, 512), vae_layers=2, groups=32)
TINY = dict(blocks=(32, 64, 64, 64), layers=1, heads=2, cross=64, latent=8, text_layers=1,
            text_heads=2, vae=(32, 32, 32, 32), vae_layers=1, groups=8)


def gn(groups, ch, eps=1e-5):
    return nn.GroupNorm(groups, ch, eps=eps)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, temb, groups):
        super().__init__()
        self.norm1, self.conv1 = gn(groups, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout) if temb else None
        self.norm2, self.conv2 = gn(groups, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, t=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(t))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.shortcut(x) if self.shortcut is not None else x) + h


class Attention(nn.Module):
    def __init__(self, dim, heads, ctx_dim=None, bias=False):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.to_q = nn.Linear(dim, dim, bias=bias)
        self.to_k = nn.Linear(ctx_dim or dim, dim, bias=bias)
        self.to_v = nn.Linear(ctx_dim or dim, dim, bias=bias)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x, ctx=None):
        ctx = x if ctx is None else ctx
        b, n, c = x.shape
        h = self.heads
        q = self.to_q(x).reshape(b, n, h, c // h).transpose(1, 2)
        k = self.to_k(ctx).reshape(b, -1, h, c // h).transpose(1, 2)
        v = self.to_v(ctx).reshape(b, -1, h, c // h).transpose(1, 2)
        w = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * self.scale, dim=-1)
        return self.to_out(torch.matmul(w, v).transpose(1, 2).reshape(b, n, c))


class TransformerBlock(nn.Module):
    """diffusers' BasicTransformerBlock: self-attention, cross-attention, GEGLU feed-forward."""

    def __init__(self, dim, heads, cross):
        super().__init__()
        self.norm1, self.attn1 = nn.LayerNorm(dim), Attention(dim, heads)
        self.norm2, self.attn2 = nn.LayerNorm(dim), Attention(dim, heads, cross)
        self.norm3 = nn.LayerNorm(dim)
        self.ff_proj, self.ff_out = nn.Linear(dim, dim * 8), nn.Linear(dim * 4, dim)

    def forward(self, x, ctx):
        x = x + self.attn1(self.norm1(x))
        x = x + self.attn2(self.norm2(x), ctx)
        a, gate = self.ff_proj(self.norm3(x)).chunk(2, dim=-1)
        return x + self.ff_out(a * F.gelu(gate))


class Transformer2D(nn.Module):
    def __init__(self, ch, heads, cross, groups):
        super().__init__()
        self.norm = gn(groups, ch, 1e-6)
        self.proj_in, self.proj_out = nn.Conv2d(ch, ch, 1), nn.Conv2d(ch, ch, 1)
        self.block = TransformerBlock(ch, heads, cross)

    def forward(self, x, ctx):
        b, c, hh, ww = x.shape
        h = self.proj_in(self.norm(x)).reshape(b, c, hh * ww).transpose(1, 2)
        h = self.block(h, ctx).transpose(1, 2).reshape(b, c, hh, ww)
        return x + self.proj_out(h)


class UNet(nn.Module):
    """SD 1.5's UNet2DConditionModel: CrossAttnDown x3 + Down, mid with attention, Up + CrossAttnUp x3."""

    def __init__(self, blocks, layers, heads, cross, groups, **_):
        super().__init__()
        temb = blocks[0] * 4
        self.base = blocks[0]
        self.time_1, self.time_2 = nn.Linear(blocks[0], temb), nn.Linear(temb, temb)
        self.conv_in = nn.Conv2d(4, blocks[0], 3, padding=1)
        self.down = nn.ModuleList()
        skips = [blocks[0]]
        ch = blocks[0]
        last = len(blocks) - 1
        for i, out in enumerate(blocks):
            for _ in range(layers):
                attn = Transformer2D(out, heads, cross, groups) if i < last else None
                self.down.append(nn.ModuleList([ResBlock(ch, out, temb, groups), attn]))
                ch = out
                skips.append(ch)
            if i < last:
                self.down.append(nn.ModuleList([nn.Conv2d(ch, ch, 3, stride=2, padding=1)]))
                skips.append(ch)
        self.mid = nn.ModuleList([ResBlock(ch, ch, temb, groups), Transformer2D(ch, heads, cross, groups),
                                  ResBlock(ch, ch, temb, groups)])
        self.up = nn.ModuleList()
        for i, out in enumerate(reversed(blocks)):
            for _ in range(layers + 1):
                attn = Transformer2D(out, heads, cross, groups) if i > 0 else None
                self.up.append(nn.ModuleList([ResBlock(ch + skips.pop(), out, temb, groups), attn]))
                ch = out
            if i < last:
                self.up.append(nn.ModuleList([nn.Conv2d(ch, ch, 3, padding=1)]))
        self.norm_out, self.conv_out = gn(groups, ch), nn.Conv2d(ch, 4, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states):
        half = self.base // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=sample.device) / half)
        args = timestep.float()[:, None] * freqs[None, :]
        emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1).to(sample.dtype)
        t = self.time_2(F.silu(self.time_1(emb)))
        x = self.conv_in(sample)
        hs = [x]
        for m in self.down:
            if len(m) == 1:
                x = m[0](x)
            else:
                x = m[0](x, t)
                if m[1] is not None:
                    x = m[1](x, encoder_hidden_states)
            hs.append(x)
        x = self.mid[2](self.mid[1](self.mid[0](x, t), encoder_hidden_states), t)
        for m in self.up:
            if len(m) == 1:
                x = m[0](F.interpolate(x, scale_factor=2.0, mode="nearest"))
            else:
                x = m[0](torch.cat([x, hs.pop()], dim=1), t)
                if m[1] is not None:
                    x = m[1](x, encoder_hidden_states)
        return self.conv_out(F.silu(self.norm_out(x)))


class VaeAttention(nn.Module):
    def __init__(self, ch, groups):
        super().__init__()
        self.norm = gn(groups, ch, 1e-6)
        self.attn = Attention(ch, 1, bias=True)

    def forward(self, x):
        b, c, h, w = x.shape
        y = self.norm(x).reshape(b, c, h * w).transpose(1, 2)
        return x + self.attn(y).transpose(1, 2).reshape(b, c, h, w)


class VaeDecoder(nn.Module):
    """SD's AutoencoderKL decoder (with post_quant_conv, as optimum exports it)."""

    def __init__(self, vae, vae_layers, groups, **_):
        super().__init__()
        chans = list(reversed(vae))
        self.post_quant_conv = nn.Conv2d(4, 4, 1)
        self.conv_in = nn.Conv2d(4, chans[0], 3, padding=1)
        self.mid = nn.ModuleList([ResBlock(chans[0], chans[0], 0, groups), VaeAttention(chans[0], groups),
                                  ResBlock(chans[0], chans[0], 0, groups)])
        self.up = nn.ModuleList()
        ch = chans[0]
        for i, out in enumerate(chans):
            for _ in range(vae_layers + 1):
                self.up.append(ResBlock(ch, out, 0, groups))
                ch = out
            if i < len(chans) - 1:
                self.up.append(nn.Conv2d(ch, ch, 3, padding=1))
        self.norm_out, self.conv_out = gn(groups, ch, 1e-6), nn.Conv2d(ch, 3, 3, padding=1)

    def forward(self, latent_sample):
        x = self.conv_in(self.post_quant_conv(latent_sample))
        x = self.mid[2](self.mid[1](self.mid[0](x)))
        for m in self.up:
            x = m(x) if isinstance(m, ResBlock) else m(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(x)))


class TextEncoder(nn.Module):
    """CLIP-text-shaped encoder: token and position embeddings, pre-LN transformer layers, final LayerNorm."""

    def __init__(self, vocab_size, width, layers, heads):
        super().__init__()
        self.token, self.position = nn.Embedding(vocab_size, width), nn.Parameter(torch.randn(77, width) * 0.01)
        self.layers = nn.ModuleList([
            nn.ModuleList([nn.LayerNorm(width), Attention(width, heads, bias=True), nn.LayerNorm(width),
                           nn.Linear(width, width * 4), nn.Linear(width * 4, width)]) for _ in range(layers)
        ])
        self.final = nn.LayerNorm(width)

    def forward(self, input_ids):
        x = self.token(input_ids) + self.position
        for ln1, attn, ln2, fc1, fc2 in self.layers:
            x = x + attn(ln1(x))
            h = fc1(ln2(x))
            x = x + fc2(h * torch.sigmoid(1.702 * h))
        return self.final(x)


def params(m):
    return sum(p.numel() for p in m.parameters())


def graph_to_float16(path):
    """A float32 ONNX file to float16 compute (weights, activations, inputs, outputs), with the onnx
    package: the test path for float16 where PyTorch has no float16 CPU kernels. Resize's roi and
    scales stay float32, as ONNX requires."""
    import onnx
    from onnx import TensorProto, numpy_helper

    m = onnx.load(path)
    g = m.graph
    keep = {n.input[i] for n in g.node if n.op_type == "Resize" for i in (1, 2) if i < len(n.input)} - {""}

    def half(t):
        if t.data_type == TensorProto.FLOAT and t.name not in keep:
            t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(t).astype("float16"), t.name))

    for t in g.initializer:
        half(t)
    for n in g.node:
        for a in n.attribute:
            if a.name == "to" and a.i == TensorProto.FLOAT and n.op_type == "Cast":
                a.i = TensorProto.FLOAT16
            if a.type == onnx.AttributeProto.TENSOR and not (n.op_type == "Constant" and n.output[0] in keep):
                half(a.t)
    for v in list(g.input) + list(g.output):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT:
            v.type.tensor_type.elem_type = TensorProto.FLOAT16
    del g.value_info[:]
    onnx.save(m, path)


def export(net, args, path, inputs, outputs, axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    t0 = time.time()
    # The TorchScript exporter (PyTorch 2.9+ defaults to the dynamo one, which needs onnxscript).
    kw = {"dynamo": False} if "dynamo" in inspect.signature(torch.onnx.export).parameters else {}
    try:
        with torch.no_grad():
            torch.onnx.export(net.eval(), args, path, opset_version=17, input_names=inputs, output_names=outputs,
                              dynamic_axes=axes, do_constant_folding=True, **kw)
    except RuntimeError as e:
        if "Half" not in str(e):
            raise
        try:
            import onnx  # noqa: F401
        except ImportError:
            sys.exit(f"build-sd15: this PyTorch has no float16 kernels on {args[0].device} ({e}); "
                     "export float16 on a CUDA machine, install the onnx package, or use --dtype float32")
        # No float16 kernels here: trace in float32, then convert the graph.
        f32 = [a.float() if a.is_floating_point() else a for a in args]
        with torch.no_grad():
            torch.onnx.export(net.float().eval(), tuple(f32), path, opset_version=17, input_names=inputs,
                              output_names=outputs, dynamic_axes=axes, do_constant_folding=True, **kw)
        graph_to_float16(path)
    print(f"  wrote {os.path.relpath(path)} in {time.time() - t0:.0f} s", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--dtype", choices=["float32", "float16"], default="float32")
    ap.add_argument("--tiny", action="store_true", help="small widths for quick tests")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    cfg = TINY if a.tiny else FULL
    torch.manual_seed(a.seed)
    dev = "cuda" if a.dtype == "float16" and torch.cuda.is_available() else "cpu"
    dt = torch.float16 if a.dtype == "float16" else torch.float32
    vocab = json.load(open(os.path.join(TOKENIZER, "vocab.json")))
    latent, image = cfg["latent"], cfg["latent"] * 8

    unet, vae = UNet(**cfg), VaeDecoder(**cfg)
    text = TextEncoder(len(vocab), cfg["cross"], cfg["text_layers"], cfg["text_heads"])
    # Default PyTorch init makes activations grow through 16 residual stages; scale so fp16 stays finite.
    with torch.no_grad():
        for m in [unet, vae, text]:
            for p in m.parameters():
                if p.dim() > 1:
                    p.mul_(0.5)
    print(f"UNet parameters: {params(unet):,} ({params(unet) / 1e6:.1f}M; SD 1.5: 859.5M)")
    print(f"VAE decoder parameters: {params(vae):,} ({params(vae) / 1e6:.1f}M; SD 1.5: 49.5M)")
    print(f"text encoder parameters: {params(text):,}")
    print(f"exporting {a.dtype} on {dev} to {a.out}", flush=True)

    os.makedirs(a.out, exist_ok=True)
    shutil.copytree(TOKENIZER, os.path.join(a.out, "tokenizer"), dirs_exist_ok=True)
    ids = torch.zeros(1, 77, dtype=torch.int64, device=dev)
    export(text.to(dev, dt), (ids,), os.path.join(a.out, "text_encoder", "model.onnx"), ["input_ids"],
           ["last_hidden_state"], {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}})
    x = torch.randn(2, 4, latent, latent, device=dev, dtype=dt)
    ts = torch.tensor([999, 999], dtype=torch.int64, device=dev)
    ctx = torch.randn(2, 77, cfg["cross"], device=dev, dtype=dt)
    export(unet.to(dev, dt), (x, ts, ctx), os.path.join(a.out, "unet", "model.onnx"),
           ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
           {"sample": {0: "batch"}, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch"},
            "out_sample": {0: "batch"}})
    export(vae.to(dev, dt), (x[:1],), os.path.join(a.out, "vae_decoder", "model.onnx"), ["latent_sample"],
           ["sample"], {"latent_sample": {0: "batch"}, "sample": {0: "batch"}})

    name = f"sd15-class{'-tiny' if a.tiny else ''}-{'fp16' if a.dtype == 'float16' else 'fp32'}"
    manifest = {
        "name": name,
        "family": "latent",
        "description": f"Stable-Diffusion-1.5-class model with random weights ({a.dtype}; benchmarks only, "
                       f"UNet {params(unet) / 1e6:.1f}M parameters)",
        "license": "MIT (random weights generated by bench/build-sd15.py; tokenizer merges from OpenAI CLIP, MIT)",
        "sample": {"channels": 4, "height": latent, "width": latent},
        "image": {"channels": 3, "height": image, "width": image},
        "scheduler": {"beta_schedule": "scaled_linear", "num_train_timesteps": 1000, "beta_start": 0.00085,
                      "beta_end": 0.012, "prediction_type": "epsilon", "variance_type": "fixed_small",
                      "clip_sample": False},
        "unet": {"file": "unet/model.onnx",
                 "inputs": {"sample": "sample", "timestep": "timestep", "cond": "encoder_hidden_states"},
                 "outputs": {"eps": "out_sample"}, "dtype": a.dtype, "timestep_dtype": "int64", "max_batch": 2},
        "prompt": {"encoder": "clip", "tokenizer": "tokenizer", "text_encoder": "text_encoder/model.onnx",
                   "input": "input_ids", "output": "last_hidden_state", "max_length": 77,
                   "hidden_size": cfg["cross"]},
        "vae": {"decoder": "vae_decoder/model.onnx", "scaling_factor": 0.18215, "shift_factor": 0,
                "decoder_input": "latent_sample", "decoder_output": "sample"},
        "defaults": {"steps": 50, "guidance": 7.5},
    }
    with open(os.path.join(a.out, "model.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"model folder ready: {a.out} (name {name})")


if __name__ == "__main__":
    sys.exit(main())
