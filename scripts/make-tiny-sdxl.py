#!/usr/bin/env python3
"""Generate a tiny random-weight SDXL-layout ONNX model (tests only).

Writes models/tiny-sdxl/ in the diffusers/optimum ONNX layout of Stable Diffusion XL, with the tensor
names, dtypes and input sets of an optimum SDXL export:
  text_encoder/    CLIPTextModel: input_ids int64 -> last_hidden_state, pooler_output, hidden_states.0..N
  text_encoder_2/  CLIPTextModelWithProjection: input_ids int64 -> text_embeds (the pooled projection),
                   last_hidden_state, hidden_states.0..N
  tokenizer/       CLIP's BPE, pad token <|endoftext|>
  tokenizer_2/     the same BPE with pad token "!" (id 0), as SDXL's tokenizer_2
  unet/            sample, timestep int64, encoder_hidden_states [B, 77, D1 + D2], text_embeds [B, P],
                   time_ids [B, 6] (original size, crop top-left, target size) -> out_sample
  vae_decoder/, vae_encoder/  scaling_factor 0.13025 (SDXL's VAE), force_upcast true
The UNet adds projections of text_embeds and of time_ids' sinusoidal embedding to its timestep embedding,
as diffusers' UNet2DConditionModel does with addition_embed_type "text_time".

Sizes: latent 4x8x8, image 3x64x64, both text encoders hidden size 32 (two layers each), so the
UNet cross-attends to 64-wide states. The tokenizers are CLIP's first MERGES merges (see make-tiny-sd.py).

Usage: /usr/bin/python3 scripts/make-tiny-sdxl.py [--bpe bpe_simple_vocab_16e6.txt.gz]
(torch 1.13 + onnx; deterministic, seeded)
"""
import argparse
import importlib.util
import math
import os
import shutil
import subprocess
import tempfile

import torch
from torch import nn
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
_spec = importlib.util.spec_from_file_location("make_tiny_sd", os.path.join(ROOT, "scripts", "make-tiny-sd.py"))
sd = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sd)

NAME = "tiny-sdxl"
HIDDEN_1, HIDDEN_2 = 32, 32       # SDXL: 768 (CLIP ViT-L) and 1280 (OpenCLIP ViT-bigG)
PROJECTION = 32                   # text_encoder_2's projection_dim (SDXL: 1280)
LAYERS = 2                        # SDXL: 12 and 32
MAX_LEN = sd.MAX_LEN
LATENT_C, LATENT, IMAGE, CH = sd.LATENT_C, sd.LATENT, sd.IMAGE, sd.CH
TIME_IDS = 6
TIME_DIM = 8                      # addition_time_embed_dim (SDXL: 256)
SCALING = 0.13025


class ClipText(nn.Module):
    """Token + position embeddings and LAYERS residual blocks (causal running mean + MLP); hidden_states are the
    embeddings and each block's output, last_hidden_state the final LayerNorm of the last, pooled at the end token."""

    def __init__(self, vocab_size, hidden, projection=None):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, hidden)
        self.pos = nn.Parameter(torch.randn(MAX_LEN, hidden) * 0.1)
        self.norms = nn.ModuleList([nn.LayerNorm(hidden) for _ in range(LAYERS)])
        self.fc1 = nn.ModuleList([nn.Linear(hidden, 2 * hidden) for _ in range(LAYERS)])
        self.fc2 = nn.ModuleList([nn.Linear(2 * hidden, hidden) for _ in range(LAYERS)])
        self.final = nn.LayerNorm(hidden)
        self.proj = nn.Linear(hidden, projection, bias=False) if projection else None

    def forward(self, input_ids):
        ids = input_ids.to(torch.int64)
        h = self.tok(ids) + self.pos[None, :, :]
        count = torch.arange(1, MAX_LEN + 1, dtype=torch.float32)[None, :, None]
        states = [h]
        for norm, fc1, fc2 in zip(self.norms, self.fc1, self.fc2):
            x = norm(h)
            x = x + torch.cumsum(x, dim=1) / count
            h = h + fc2(F.gelu(fc1(x)))
            states.append(h)
        last = self.final(h)
        # CLIP's pooling: the end token, the highest id (pads are "!" = 0 or the end token itself)
        pooled = last[torch.arange(last.shape[0]), ids.argmax(dim=-1)]
        if self.proj is not None:
            return (self.proj(pooled), last, *states)
        return (last, pooled, *states)


class XlUNet(nn.Module):
    """tiny-sd's UNet with SDXL's added conditioning: time_ids -> sinusoidal embedding (TIME_DIM each), concatenated
    with text_embeds, projected and added to the timestep embedding."""

    def __init__(self):
        super().__init__()
        half = CH // 2
        cross = HIDDEN_1 + HIDDEN_2
        self.register_buffer("freqs", torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half))
        self.register_buffer("tfreqs", torch.exp(-math.log(10000.0) * torch.arange(TIME_DIM // 2, dtype=torch.float32)
                                                  / (TIME_DIM // 2)))
        self.conv_in = nn.Conv2d(LATENT_C, CH, 3, padding=1)
        self.time = nn.Linear(CH, CH)
        self.add = nn.Linear(PROJECTION + TIME_IDS * TIME_DIM, CH)
        self.q = nn.Linear(CH, CH)
        self.k = nn.Linear(cross, CH)
        self.v = nn.Linear(cross, CH)
        self.conv_out = nn.Conv2d(CH, LATENT_C, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states, text_embeds, time_ids):
        x = sample.to(torch.float32)
        t = timestep.to(torch.float32)
        c = encoder_hidden_states.to(torch.float32)
        ang = t[:, None] * self.freqs[None, :]
        temb = torch.cat([torch.sin(ang), torch.cos(ang)], dim=1)
        # time ids are pixel sizes (e.g. 1024): scaled so the tiny model's embedding stays in range
        tang = (time_ids.to(torch.float32) / 64.0).reshape(-1)[:, None] * self.tfreqs[None, :]
        tids = torch.cat([torch.sin(tang), torch.cos(tang)], dim=1).reshape(x.shape[0], TIME_IDS * TIME_DIM)
        temb = F.silu(self.time(temb) + self.add(torch.cat([text_embeds.to(torch.float32), tids], dim=1)))
        h = F.silu(self.conv_in(x) + temb[:, :, None, None])
        b, ch, hh, ww = h.shape
        q = self.q(h.flatten(2).transpose(1, 2))
        att = torch.softmax(q @ self.k(c).transpose(1, 2) / math.sqrt(CH), dim=-1) @ self.v(c)
        h = h + att.transpose(1, 2).reshape(b, ch, hh, ww)
        return self.conv_out(F.silu(h)) + 0.5 * x


def export(net, args, path, inputs, outputs):
    axes = {name: {0: "batch"} for name in inputs + outputs}
    sd.export(net, args, path, inputs, outputs, axes)


def write_tokenizer(folder, vocab, merges, pad):
    sd.write_json(os.path.join(folder, "vocab.json"), vocab)
    with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    special = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": pad,
               "unk_token": "<|endoftext|>"}
    sd.write_json(os.path.join(folder, "special_tokens_map.json"), special)
    sd.write_json(os.path.join(folder, "tokenizer_config.json"),
                  {**special, "tokenizer_class": "CLIPTokenizer", "model_max_length": MAX_LEN, "do_lower_case": True})


README = """# tiny-sdxl

A tiny, randomly initialised Stable-Diffusion-XL-style model in the diffusers/optimum ONNX layout
(float32). It draws nothing meaningful: it exists so tests and the CLI exercise the SDXL pipeline end to
end: two CLIP text encoders (`text_encoder`, `text_encoder_2`) whose penultimate hidden states are
concatenated, the second's pooled projection (`text_embeds`) and the size micro-conditioning
(`time_ids`) as extra UNet inputs, and SDXL's VAE scaling factor 0.13025. Sizes: latent 4x8x8, image
3x64x64, text hidden sizes 32 + 32.

The tokenizers are CLIP's byte-level BPE restricted to its first {merges} merges (from OpenAI's CLIP
`bpe_simple_vocab_16e6.txt.gz`, MIT license, copyright OpenAI); `tokenizer_2` pads with "!" as SDXL's
does. Regenerate with `/usr/bin/python3 scripts/make-tiny-sdxl.py` (torch 1.13, onnx; seeded).
"""

WRITE_MANIFEST = """
import {{ writeDiffusersManifest }} from '{module}';
writeDiffusersManifest('{folder}', {{
  name: '{name}',
  description: 'Tiny random-weight SDXL-layout model: two text encoders, text_embeds and time_ids (float32; tests only)',
  license: 'MIT (random weights generated by scripts/make-tiny-sdxl.py; tokenizer merges from OpenAI CLIP, MIT)',
  defaults: {{ steps: 20, guidance: 5 }},
}});
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bpe", default=sd.DEFAULT_BPE)
    args = ap.parse_args()
    vocab, merges = sd.tiny_vocab(args.bpe)
    folder = os.path.join(ROOT, "models", NAME)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    torch.manual_seed(3)
    n = 2
    ids = torch.full((n, MAX_LEN), len(vocab) - 1, dtype=torch.int64)
    states = [f"hidden_states.{i}" for i in range(LAYERS + 1)]
    export(ClipText(len(vocab), HIDDEN_1), (ids,), os.path.join(folder, "text_encoder", "model.onnx"),
           ["input_ids"], ["last_hidden_state", "pooler_output", *states])
    export(ClipText(len(vocab), HIDDEN_2, PROJECTION), (ids,), os.path.join(folder, "text_encoder_2", "model.onnx"),
           ["input_ids"], ["text_embeds", "last_hidden_state", *states])
    unet_args = (torch.randn(n, LATENT_C, LATENT, LATENT), torch.tensor([500] * n, dtype=torch.int64),
                 torch.randn(n, MAX_LEN, HIDDEN_1 + HIDDEN_2), torch.randn(n, PROJECTION),
                 torch.tensor([[IMAGE, IMAGE, 0, 0, IMAGE, IMAGE]] * n, dtype=torch.float32))
    export(XlUNet(), unet_args, os.path.join(folder, "unet", "model.onnx"),
           ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"], ["out_sample"])
    export(sd.VaeDecoder(), (torch.randn(1, LATENT_C, LATENT, LATENT),),
           os.path.join(folder, "vae_decoder", "model.onnx"), ["latent_sample"], ["sample"])
    export(sd.VaeEncoder(LATENT_C), (torch.randn(1, 3, IMAGE, IMAGE),),
           os.path.join(folder, "vae_encoder", "model.onnx"), ["sample"], ["latent_sample"])

    write_tokenizer(os.path.join(folder, "tokenizer"), vocab, merges, "<|endoftext|>")
    write_tokenizer(os.path.join(folder, "tokenizer_2"), vocab, merges, "!")
    # EulerDiscreteScheduler as SDXL base 1.0 publishes it.
    sd.write_json(os.path.join(folder, "scheduler", "scheduler_config.json"), {
        "_class_name": "EulerDiscreteScheduler", "_diffusers_version": "0.19.0.dev0", "beta_end": 0.012,
        "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False, "interpolation_type": "linear",
        "num_train_timesteps": 1000, "prediction_type": "epsilon", "sample_max_value": 1.0, "set_alpha_to_one": False,
        "skip_prk_steps": True, "steps_offset": 1, "timestep_spacing": "leading", "trained_betas": None,
        "use_karras_sigmas": False})
    sd.write_json(os.path.join(folder, "text_encoder", "config.json"),
                  {"architectures": ["CLIPTextModel"], "hidden_size": HIDDEN_1, "num_hidden_layers": LAYERS,
                   "max_position_embeddings": MAX_LEN, "vocab_size": len(vocab)})
    sd.write_json(os.path.join(folder, "text_encoder_2", "config.json"),
                  {"architectures": ["CLIPTextModelWithProjection"], "hidden_size": HIDDEN_2,
                   "num_hidden_layers": LAYERS, "projection_dim": PROJECTION, "max_position_embeddings": MAX_LEN,
                   "vocab_size": len(vocab)})
    sd.write_json(os.path.join(folder, "unet", "config.json"), {
        "in_channels": LATENT_C, "out_channels": LATENT_C, "sample_size": LATENT,
        "cross_attention_dim": HIDDEN_1 + HIDDEN_2, "addition_embed_type": "text_time",
        "addition_time_embed_dim": TIME_DIM, "projection_class_embeddings_input_dim": PROJECTION + TIME_IDS * TIME_DIM})
    vae_cfg = {"in_channels": 3, "out_channels": 3, "latent_channels": LATENT_C, "sample_size": IMAGE,
               "block_out_channels": [CH, CH, CH, CH], "scaling_factor": SCALING, "force_upcast": True}
    sd.write_json(os.path.join(folder, "vae_decoder", "config.json"), vae_cfg)
    sd.write_json(os.path.join(folder, "vae_encoder", "config.json"), vae_cfg)
    sd.write_json(os.path.join(folder, "model_index.json"), {
        "_class_name": "ORTStableDiffusionXLPipeline", "_diffusers_version": "0.19.0.dev0",
        "force_zeros_for_empty_prompt": True, "scheduler": ["diffusers", "EulerDiscreteScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"], "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"], "vae_decoder": ["diffusers", "AutoencoderKL"],
        "vae_encoder": ["diffusers", "AutoencoderKL"]})
    with open(os.path.join(folder, "README.md"), "w", encoding="utf-8") as f:
        f.write(README.format(merges=sd.MERGES))
    # model.json as `diffuse models pull` writes it (the project's own generator, run with tsx).
    tsx = os.path.join(ROOT, "node_modules", ".bin", "tsx")
    module = os.path.join(ROOT, "src", "runtime", "latent", "diffusers.ts")
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "write-manifest.ts")
        with open(script, "w", encoding="utf-8") as f:
            f.write(WRITE_MANIFEST.format(name=NAME, module=module, folder=folder))
        subprocess.run([tsx, script], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
