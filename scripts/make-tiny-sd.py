#!/usr/bin/env python3
"""Generate tiny random-weight Stable-Diffusion-layout ONNX models (tests only).

Writes, in the diffusers/optimum ONNX layout with the real tensor names:
  models/tiny-sd/        float32; text encoder input_ids int64; UNet timestep int64;
                         VAE encoder output `latent_sample` (4 channels).
  models/tiny-sd-fp16/   float16 interface and weights; input_ids int32; UNet timestep float16;
                         VAE encoder output `latent_parameters` (mean and log-variance, 8 channels).

Sizes: latent 4x8x8, image 3x64x64, text hidden size 32, 77 tokens. The tokenizer is CLIP's
(the first MERGES merges of its BPE list, from ../shared/fixtures/clip-bpe or --bpe PATH), so
tokens keep their CLIP spelling while the embedding table stays small.

Usage: /usr/bin/python3 scripts/make-tiny-sd.py [--bpe bpe_simple_vocab_16e6.txt.gz]
(torch 1.13 + onnx; deterministic, seeded)
"""
import argparse
import gzip
import json
import math
import os
import shutil
import subprocess
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import torch
from torch import nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DEFAULT_BPE = os.path.join(ROOT, "..", "shared", "fixtures", "clip-bpe", "bpe_simple_vocab_16e6.txt.gz")
MERGES = 1500
HIDDEN = 32      # text hidden size (cross-attention dim)
MAX_LEN = 77
LATENT_C, LATENT = 4, 8
IMAGE = 64
CH = 16          # conv channels
SCALING = 0.18215


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def tiny_vocab(bpe_path):
    """CLIP's vocabulary construction (simple_tokenizer.py) over the first MERGES merges."""
    lines = gzip.open(bpe_path).read().decode("utf-8").split("\n")
    merges = [tuple(m.split()) for m in lines[1:1 + MERGES]]
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(m) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    return {t: i for i, t in enumerate(vocab)}, merges


class TextEncoder(nn.Module):
    """Token + position embeddings, a causal running mean (stand-in for masked attention), an MLP, a final LayerNorm."""

    def __init__(self, vocab_size):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, HIDDEN)
        self.pos = nn.Parameter(torch.randn(MAX_LEN, HIDDEN) * 0.1)
        self.mlp1 = nn.Linear(HIDDEN, 2 * HIDDEN)
        self.mlp2 = nn.Linear(2 * HIDDEN, HIDDEN)
        self.norm = nn.LayerNorm(HIDDEN)

    def forward(self, input_ids):
        ids = input_ids.to(torch.int64)
        h = self.tok(ids) + self.pos[None, :, :]
        count = torch.arange(1, MAX_LEN + 1, dtype=torch.float32)[None, :, None]
        h = h + torch.cumsum(h, dim=1) / count
        h = h + self.mlp2(F.gelu(self.mlp1(h)))
        h = self.norm(h)
        eos = ids.to(torch.float32).argmax(dim=-1)
        pooled = h[torch.arange(h.shape[0]), eos]
        return h, pooled


class UNet(nn.Module):
    """Conv in, sinusoidal timestep embedding, one cross-attention over the text states, conv out."""

    def __init__(self):
        super().__init__()
        half = CH // 2
        self.register_buffer("freqs", torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half))
        self.conv_in = nn.Conv2d(LATENT_C, CH, 3, padding=1)
        self.time = nn.Linear(CH, CH)
        self.q = nn.Linear(CH, CH)
        self.k = nn.Linear(HIDDEN, CH)
        self.v = nn.Linear(HIDDEN, CH)
        self.conv_out = nn.Conv2d(CH, LATENT_C, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states):
        x = sample.to(torch.float32)
        t = timestep.to(torch.float32)
        c = encoder_hidden_states.to(torch.float32)
        ang = t[:, None] * self.freqs[None, :]
        temb = F.silu(self.time(torch.cat([torch.sin(ang), torch.cos(ang)], dim=1)))
        h = F.silu(self.conv_in(x) + temb[:, :, None, None])
        b, ch, hh, ww = h.shape
        q = self.q(h.flatten(2).transpose(1, 2))
        att = torch.softmax(q @ self.k(c).transpose(1, 2) / math.sqrt(CH), dim=-1) @ self.v(c)
        h = h + att.transpose(1, 2).reshape(b, ch, hh, ww)
        return self.conv_out(F.silu(h)) + 0.5 * x


class VaeDecoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv_in = nn.Conv2d(LATENT_C, CH, 3, padding=1)
        self.ups = nn.ModuleList([nn.Conv2d(CH, CH, 3, padding=1) for _ in range(3)])
        self.conv_out = nn.Conv2d(CH, 3, 3, padding=1)

    def forward(self, latent_sample):
        h = F.silu(self.conv_in(latent_sample.to(torch.float32)))
        for conv in self.ups:
            h = F.silu(conv(F.interpolate(h, scale_factor=2.0, mode="nearest")))
        return torch.tanh(self.conv_out(h))


class VaeEncoder(nn.Module):
    def __init__(self, out_channels):
        super().__init__()
        self.conv_in = nn.Conv2d(3, CH, 3, padding=1)
        self.downs = nn.ModuleList([nn.Conv2d(CH, CH, 3, stride=2, padding=1) for _ in range(3)])
        self.conv_out = nn.Conv2d(CH, out_channels, 3, padding=1)

    def forward(self, sample):
        h = F.silu(self.conv_in(sample.to(torch.float32)))
        for conv in self.downs:
            h = F.silu(conv(h))
        return self.conv_out(h)


def export(net, args, path, inputs, outputs, axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(net.eval(), args, path, opset_version=17, input_names=inputs, output_names=outputs,
                      dynamic_axes=axes, do_constant_folding=True)


def to_float16(path):
    """Store float initializers as float16 (Cast to float32 inside) and give float inputs/outputs a float16 interface."""
    model = onnx.load(path)
    g = model.graph
    casts_in, casts_out = [], []
    for init in g.initializer:
        if init.data_type != TensorProto.FLOAT:
            continue
        arr = numpy_helper.to_array(init).astype(np.float16)
        name = init.name
        init.CopyFrom(numpy_helper.from_array(arr, name + "__fp16"))
        casts_in.append(helper.make_node("Cast", [name + "__fp16"], [name], to=TensorProto.FLOAT))
    for inp in g.input:
        if inp.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        inner = inp.name + "__f32"
        for node in g.node:
            node.input[:] = [inner if i == inp.name else i for i in node.input]
        casts_in.append(helper.make_node("Cast", [inp.name], [inner], to=TensorProto.FLOAT))
        inp.type.tensor_type.elem_type = TensorProto.FLOAT16
    for out in g.output:
        if out.type.tensor_type.elem_type != TensorProto.FLOAT:
            continue
        inner = out.name + "__f32"
        for node in g.node:
            node.output[:] = [inner if o == out.name else o for o in node.output]
            node.input[:] = [inner if i == out.name else i for i in node.input]
        casts_out.append(helper.make_node("Cast", [inner], [out.name], to=TensorProto.FLOAT16))
        out.type.tensor_type.elem_type = TensorProto.FLOAT16
    nodes = casts_in + list(g.node) + casts_out
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, path)


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


README = """# {name}

A tiny, randomly initialised Stable-Diffusion-style model in the diffusers/optimum ONNX layout
({variant}). It draws nothing meaningful: it exists so tests and the CLI exercise the latent family
(CLIP tokenizer and text encoder, UNet, VAE decoder and encoder, scaled-linear schedule) without a
multi-gigabyte download. Sizes: latent 4x8x8, image 3x64x64, text hidden size 32.

The tokenizer is CLIP's byte-level BPE restricted to its first {merges} merges (from OpenAI's CLIP
`bpe_simple_vocab_16e6.txt.gz`, MIT license, copyright OpenAI), so ids differ from the full
vocabulary's. Regenerate with `/usr/bin/python3 scripts/make-tiny-sd.py` (torch 1.13, onnx; seeded).
"""


def build(name, half, vocab, merges):
    folder = os.path.join(ROOT, "models", name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    torch.manual_seed(1 if half else 0)
    n = 2
    ids_dtype = torch.int32 if half else torch.int64
    ids = torch.full((n, MAX_LEN), len(vocab) - 1, dtype=ids_dtype)
    export(TextEncoder(len(vocab)), (ids,), os.path.join(folder, "text_encoder", "model.onnx"),
           ["input_ids"], ["last_hidden_state", "pooler_output"],
           {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}, "pooler_output": {0: "batch"}})
    # float16 timesteps are exported as float32 and converted with the rest of the interface.
    timestep = torch.tensor([500.0] * n) if half else torch.tensor([500] * n, dtype=torch.int64)
    export(UNet(), (torch.randn(n, LATENT_C, LATENT, LATENT), timestep, torch.randn(n, MAX_LEN, HIDDEN)),
           os.path.join(folder, "unet", "model.onnx"), ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
           {"sample": {0: "batch"}, "timestep": {0: "batch"}, "encoder_hidden_states": {0: "batch"},
            "out_sample": {0: "batch"}})
    export(VaeDecoder(), (torch.randn(1, LATENT_C, LATENT, LATENT),), os.path.join(folder, "vae_decoder", "model.onnx"),
           ["latent_sample"], ["sample"], {"latent_sample": {0: "batch"}, "sample": {0: "batch"}})
    enc_out = "latent_parameters" if half else "latent_sample"
    export(VaeEncoder(2 * LATENT_C if half else LATENT_C), (torch.randn(1, 3, IMAGE, IMAGE),),
           os.path.join(folder, "vae_encoder", "model.onnx"), ["sample"], [enc_out],
           {"sample": {0: "batch"}, enc_out: {0: "batch"}})
    if half:
        for part in ["text_encoder", "unet", "vae_decoder", "vae_encoder"]:
            to_float16(os.path.join(folder, part, "model.onnx"))

    tok = os.path.join(folder, "tokenizer")
    write_json(os.path.join(tok, "vocab.json"), vocab)
    with open(os.path.join(tok, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    special = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
               "unk_token": "<|endoftext|>"}
    write_json(os.path.join(tok, "special_tokens_map.json"), special)
    write_json(os.path.join(tok, "tokenizer_config.json"),
               {**special, "tokenizer_class": "CLIPTokenizer", "model_max_length": MAX_LEN, "do_lower_case": True})
    write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), {
        "_class_name": "PNDMScheduler", "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
        "num_train_timesteps": 1000, "clip_sample": False, "set_alpha_to_one": False, "skip_prk_steps": True,
        "steps_offset": 1, "prediction_type": "epsilon", "trained_betas": None})
    write_json(os.path.join(folder, "text_encoder", "config.json"),
               {"hidden_size": HIDDEN, "max_position_embeddings": MAX_LEN, "vocab_size": len(vocab)})
    write_json(os.path.join(folder, "unet", "config.json"),
               {"in_channels": LATENT_C, "out_channels": LATENT_C, "sample_size": LATENT, "cross_attention_dim": HIDDEN})
    vae_cfg = {"in_channels": 3, "out_channels": 3, "latent_channels": LATENT_C, "sample_size": IMAGE,
               "block_out_channels": [CH, CH, CH, CH], "scaling_factor": SCALING}
    write_json(os.path.join(folder, "vae_decoder", "config.json"), vae_cfg)
    write_json(os.path.join(folder, "vae_encoder", "config.json"), vae_cfg)
    write_json(os.path.join(folder, "model_index.json"), {
        "_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": "0.30.0",
        "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["diffusers", "OnnxRuntimeModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "OnnxRuntimeModel"],
        "vae_decoder": ["diffusers", "OnnxRuntimeModel"], "vae_encoder": ["diffusers", "OnnxRuntimeModel"]})
    with open(os.path.join(folder, "README.md"), "w", encoding="utf-8") as f:
        f.write(README.format(name=name, merges=MERGES,
                              variant="float16 weights and interface" if half else "float32"))


WRITE_MANIFEST = """
import {{ writeDiffusersManifest }} from '{module}';
writeDiffusersManifest('{folder}', {{
  name: '{name}',
  description: 'Tiny random-weight Stable-Diffusion-layout model ({variant}; tests only)',
  license: 'MIT (random weights generated by scripts/make-tiny-sd.py; tokenizer merges from OpenAI CLIP, MIT)',
  defaults: {{ steps: 20, guidance: 7.5 }},
}});
"""


def write_manifest(name, variant):
    """model.json as `diffuse models pull` writes it (the project's own generator, run with tsx)."""
    tsx = os.path.join(ROOT, "node_modules", ".bin", "tsx")
    module = os.path.join(ROOT, "src", "runtime", "latent", "diffusers.ts")
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "write-manifest.ts")
        with open(script, "w", encoding="utf-8") as f:
            f.write(WRITE_MANIFEST.format(name=name, variant=variant, module=module,
                                          folder=os.path.join(ROOT, "models", name)))
        subprocess.run([tsx, script], cwd=ROOT, check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpe", default=DEFAULT_BPE)
    args = ap.parse_args()
    vocab, merges = tiny_vocab(args.bpe)
    build("tiny-sd", False, vocab, merges)
    build("tiny-sd-fp16", True, vocab, merges)
    write_manifest("tiny-sd", "float32")
    write_manifest("tiny-sd-fp16", "float16")


if __name__ == "__main__":
    main()
