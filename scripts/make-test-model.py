#!/usr/bin/env python3
"""Generate the tiny test models (random weights, tests only) with the bundled model's real contract.

Writes:
  models/test-tiny/           sample [N,3,64,64] f32, timestep [N] f32, cond [N,16] f32 -> eps [N,3,64,64];
                              cosine schedule, fixed_small variance, bag-of-words prompt encoder.
  models/test-tiny-learned/   same, but learned_range variance (6 output channels) and an int64 timestep.
  test/runtime/fixtures/tiny-fp16/
                              float16 sample/cond/eps, int64 timestep, batch dimension fixed at 1
                              (exercises the float16 conversion and the fixed-batch split).

Usage: /usr/bin/python3 scripts/make-test-model.py   (torch 1.13 + onnx; deterministic, seeded)
"""
import json
import math
import os
import shutil
import subprocess

import numpy as np
import torch
from torch import nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
DIM = 16          # prompt embedding size
HIDDEN = 12       # conv channels
SIZE = 64
CHANNELS = 3

VOCAB_WORDS = [
    "rocket", "ship", "dog", "cat", "hat", "top", "man", "woman", "old", "skull",
    "waterfall", "pencil", "mountain", "snow", "village", "house", "fire", "people", "face", "smiling",
    "heart", "red", "blue", "green", "tree", "sun", "moon", "star", "car", "boat",
    "fish", "box", "baby", "city", "night", "water", "wave", "flower", "volcano", "ghost",
    "apple", "berry",
]
VOCAB_EMOJI = ["🚀", "🔥", "🐶", "💀", "🎩", "🏔", "👨"]
VOCAB_CJK = ["火", "山", "火山", "村", "犬", "帽子", "船", "ロケット", "花", "개"]
STOPWORDS = ["a", "an", "the", "of", "with", "and", "in", "on", "at", "to", "is", "my", "some"]

CONCEPTS = [
    ("🚀", "rocket"), ("🚢", "ship"), ("🐶", "dog face"), ("🐕", "dog"), ("🎩", "top hat"),
    ("👨", "man"), ("👴", "old man"), ("👩", "woman"), ("💀", "skull"), ("✏️", "pencil"),
    ("⛰️", "mountain"), ("🏔️", "snow-capped mountain"), ("🏘️", "houses"), ("🔥", "fire"),
    ("❤️", "red heart"), ("💙", "blue heart"), ("💚", "green heart"), ("🌳", "deciduous tree"),
    ("☀️", "sun"), ("🌙", "crescent moon"), ("⭐", "star"), ("🚗", "automobile car"), ("⛵", "sailboat boat"),
    ("🐟", "fish"), ("📦", "package box"), ("👶", "baby"), ("🌃", "night with stars"), ("🌊", "water wave"),
    ("🌸", "cherry blossom flower"), ("🌋", "volcano"), ("👻", "ghost"), ("🍎", "red apple"),
    ("😀", "grinning smiling face"), ("🐱", "cat face"), ("🐈", "cat"), ("🏙️", "cityscape city"),
]


class TinyUNet(nn.Module):
    """Three 3x3 convs; a sinusoidal timestep embedding and a projected prompt vector are added as a bias."""

    def __init__(self, out_channels: int, int_timestep: bool):
        super().__init__()
        self.int_timestep = int_timestep
        half = DIM // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
        self.register_buffer("freqs", freqs)
        self.t_proj = nn.Linear(DIM, HIDDEN)
        self.c_proj = nn.Linear(DIM, HIDDEN)
        self.conv1 = nn.Conv2d(CHANNELS, HIDDEN, 3, padding=1)
        self.conv2 = nn.Conv2d(HIDDEN, HIDDEN, 3, padding=1)
        self.conv3 = nn.Conv2d(HIDDEN, out_channels, 3, padding=1)
        self.eps_channels = CHANNELS
        self.learned = out_channels == 2 * CHANNELS

    def forward(self, sample, timestep, cond):
        t = timestep.to(torch.float32) if self.int_timestep else timestep
        x = sample.to(torch.float32)
        c = cond.to(torch.float32)
        ang = t[:, None] * self.freqs[None, :]
        temb = torch.cat([torch.sin(ang), torch.cos(ang)], dim=1)
        bias = self.t_proj(temb) + self.c_proj(c)
        h = torch.nn.functional.silu(self.conv1(x) + bias[:, :, None, None])
        h = torch.nn.functional.silu(self.conv2(h))
        out = self.conv3(h)
        eps = out[:, : self.eps_channels] + 0.5 * x
        if self.learned:
            out = torch.cat([eps, torch.tanh(out[:, self.eps_channels :])], dim=1)
        else:
            out = eps
        return out.to(sample.dtype)


def export(path, out_channels, int_timestep, half=False, dynamic_batch=True, seed=0):
    torch.manual_seed(seed)
    net = TinyUNet(out_channels, int_timestep).eval()
    dtype = torch.float16 if half else torch.float32
    n = 2 if dynamic_batch else 1
    # A float16 model keeps float32 compute; only its interface is float16 (Cast nodes at the edges).
    sample = torch.randn(n, CHANNELS, SIZE, SIZE).to(dtype)
    timestep = torch.tensor([500] * n, dtype=torch.int64) if int_timestep else torch.tensor([500.0] * n)
    cond = torch.randn(n, DIM).to(dtype)
    axes = {"sample": {0: "batch"}, "timestep": {0: "batch"}, "cond": {0: "batch"}, "eps": {0: "batch"}}
    torch.onnx.export(
        net, (sample, timestep, cond), path, opset_version=17,
        input_names=["sample", "timestep", "cond"], output_names=["eps"],
        dynamic_axes=axes if dynamic_batch else None, do_constant_folding=True,
    )


def write_text(folder):
    text = os.path.join(folder, "text")
    os.makedirs(text, exist_ok=True)
    tokens = VOCAB_WORDS + VOCAB_EMOJI + VOCAB_CJK
    index = {tok: i for i, tok in enumerate(tokens)}
    with open(os.path.join(text, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump({"tokens": tokens, "stopwords": STOPWORDS}, f, ensure_ascii=False, indent=1)
    rng = np.random.default_rng(1234)
    emb = rng.standard_normal((len(tokens), DIM)).astype("<f4")
    emb.tofile(os.path.join(text, "embeddings.bin"))
    concepts = []
    for emoji, label in CONCEPTS:
        words = label.replace("-", " ").split()
        ids = [index[w] for w in words if w in index]
        concepts.append({"emoji": emoji, "label": label, "tokens": ids})
    with open(os.path.join(text, "concepts.json"), "w", encoding="utf-8") as f:
        json.dump(concepts, f, ensure_ascii=False, indent=1)


def manifest(name, description, variance, timestep_dtype, dtype="float32", max_batch=8):
    return {
        "name": name,
        "family": "pixel",
        "description": description,
        "license": "MIT (random weights generated by scripts/make-test-model.py)",
        "sample": {"channels": CHANNELS, "height": SIZE, "width": SIZE},
        "scheduler": {
            "beta_schedule": "squaredcos_cap_v2", "num_train_timesteps": 1000,
            "beta_start": 0.0001, "beta_end": 0.02,
            "prediction_type": "epsilon", "variance_type": variance,
        },
        "unet": {
            "file": "unet.onnx",
            "inputs": {"sample": "sample", "timestep": "timestep", "cond": "cond"},
            "outputs": {"eps": "eps"},
            "dtype": dtype, "timestep_dtype": timestep_dtype, "max_batch": max_batch,
        },
        "prompt": {
            "encoder": "bag-of-words", "vocab": "text/vocab.json", "embeddings": "text/embeddings.bin",
            "embeddings_dtype": "float32", "dim": DIM, "concepts": "text/concepts.json",
        },
        "defaults": {"steps": 33, "guidance": 7},
    }


README = """# {name}

A tiny, randomly initialised pixel-space UNet stand-in with the bundled model's exact input/output
contract ({contract}). Its weights are fixed seeded random numbers: it draws nothing meaningful and
exists only so tests, the CLI and benchmarks run before a trained model is installed.

Regenerate with `/usr/bin/python3 scripts/make-test-model.py` (torch 1.13, onnx; deterministic).
The text files (`text/`) are a 59-token bag-of-words vocabulary with random embeddings and a few
emoji concepts, in the same format as the bundled emoji model's prompt encoder.
"""


def build(folder, name, description, contract, out_channels, int_timestep, variance, timestep_dtype,
          half=False, dynamic_batch=True, max_batch=8, readme=True):
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    export(os.path.join(folder, "unet.onnx"), out_channels, int_timestep, half=half, dynamic_batch=dynamic_batch)
    write_text(folder)
    m = manifest(name, description, variance, timestep_dtype, dtype="float16" if half else "float32",
                 max_batch=max_batch)
    with open(os.path.join(folder, "model.json"), "w", encoding="utf-8") as f:
        json.dump(m, f, ensure_ascii=False, indent=2)
        f.write("\n")
    if readme:
        with open(os.path.join(folder, "README.md"), "w", encoding="utf-8") as f:
            f.write(README.format(name=name, contract=contract))


def main():
    build(os.path.join(ROOT, "models", "test-tiny"), "test-tiny",
          "Tiny random-weight test model (64x64, tests only)",
          "sample [N,3,64,64] float32, timestep [N] float32, cond [N,16] float32 -> eps [N,3,64,64]",
          CHANNELS, False, "fixed_small", "float32")
    build(os.path.join(ROOT, "models", "test-tiny-learned"), "test-tiny-learned",
          "Tiny random-weight test model with learned variance and int64 timesteps (tests only)",
          "sample [N,3,64,64] float32, timestep [N] int64, cond [N,16] float32 -> eps [N,6,64,64]: "
          "eps then the learned_range variance channel",
          2 * CHANNELS, True, "learned_range", "int64")
    build(os.path.join(ROOT, "test", "runtime", "fixtures", "tiny-fp16"), "tiny-fp16",
          "float16 interface, int64 timestep, batch fixed at 1 (test fixture)",
          "", CHANNELS, True, "fixed_small", "int64", half=True, dynamic_batch=False, max_batch=4, readme=False)
    # Format the JSON/Markdown outputs like the rest of the repository, when prettier is installed.
    prettier = os.path.join(ROOT, "node_modules", ".bin", "prettier")
    if os.path.exists(prettier):
        subprocess.run([prettier, "--log-level", "warn", "--write", "models/test-tiny", "models/test-tiny-learned",
                        "test/runtime/fixtures/tiny-fp16"], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
