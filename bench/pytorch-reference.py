"""Peer reference: the identical 33-step CFG loop in PyTorch eager (the way the study's notebook
runs DeepFloyd IF), on the same weights as models/emoji/unet.onnx, on this machine's CPU.

  /usr/bin/python3 bench/pytorch-reference.py [--model models/emoji] [--runs 3] [--threads 2]

Prints seconds per 33-step CFG sample (batch 2 per step: conditional + unconditional) and per
UNet call, to put beside `npm run bench -- pipeline`.
"""
import argparse
import os
import platform
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'models', 'emoji', 'train'))
from model import EpsExport, UNet, cosine_alphas_cumprod  # noqa: E402
from sample import sample  # noqa: E402
from train import ARCH, load_init  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', default=os.path.join(ROOT, 'models', 'emoji'))
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    import json
    vocab = len(json.load(open(os.path.join(args.model, 'text', 'vocab.json')))['tokens'])
    net = UNet(vocab=vocab, **ARCH)
    load_init(net, args.model)
    model = EpsExport(net, cosine_alphas_cumprod()).eval()
    ids = torch.tensor([0])
    cond = net.words.weight[ids].mean(0, keepdim=True).detach()
    calls = [0]
    inner = model.forward

    def counted(*a):
        calls[0] += 1
        return inner(*a)

    model.forward = counted
    sample(model, cond, steps=33, guidance=7.0, seed=0)  # warm-up
    times = []
    for r in range(args.runs):
        calls[0] = 0
        t0 = time.perf_counter()
        sample(model, cond, steps=33, guidance=7.0, seed=r)
        times.append(time.perf_counter() - t0)
    best = min(times)
    print(f'machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {args.threads} threads')
    print(f'pytorch eager, 33-step CFG sample: {best:.3f} s (best of {args.runs}; mean {sum(times) / len(times):.3f} s), '
          f'{calls[0]} UNet calls of batch 2, {1000 * best / calls[0]:.1f} ms per call')


if __name__ == '__main__':
    main()
