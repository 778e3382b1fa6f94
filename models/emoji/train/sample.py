"""Reference sampler in PyTorch eager, the way the study's notebook does it: strided DDPM
(990, 960, ..., 0) with classifier-free guidance on the epsilon the exported graph computes.

  python3 models/emoji/train/sample.py --weights <run>/ema.pt --data models/emoji/data/build --out grid.png
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import EpsExport, UNet, cosine_alphas_cumprod  # noqa: E402


def strided(steps=33, top=990):
    """990, 960, ..., 30, 0 for 33 steps."""
    return [round(top - i * top / steps) for i in range(steps + 1)]


@torch.no_grad()
def sample(eps_model, cond, steps=33, guidance=7.0, seed=0, device='cpu'):
    """x_T ~ N(0, I), then x_t' = sqrt(abar_t') beta/(1-abar_t) x0 + sqrt(alpha)(1-abar_t')/(1-abar_t) x_t + sigma z."""
    abar = eps_model.abar.double()
    n = cond.shape[0]
    g = torch.Generator(device='cpu').manual_seed(seed)
    x = torch.randn((n, 3, 64, 64), generator=g).to(device)
    uncond = torch.zeros_like(cond)
    ts = strided(steps)
    for t, t2 in zip(ts[:-1], ts[1:]):
        tt = torch.full((2 * n,), float(t), device=device)
        e = eps_model(torch.cat([x, x]), tt, torch.cat([cond, uncond]))
        eps = e[n:] + guidance * (e[:n] - e[n:])
        a, a2 = abar[t].item(), abar[t2].item()
        x0 = ((x - (1 - a) ** 0.5 * eps) / a ** 0.5).clamp(-1, 1)
        alpha = a / a2
        beta = 1 - alpha
        x = (a2 ** 0.5 * beta / (1 - a)) * x0 + (alpha ** 0.5 * (1 - a2) / (1 - a)) * x
        if t2 > 0:
            var = beta * (1 - a2) / (1 - a)
            x = x + var ** 0.5 * torch.randn(x.shape, generator=g).to(device)
    return x


def load(weights, device='cpu'):
    """EpsExport (eval) and the word table from an ema.pt."""
    ck = torch.load(weights, map_location='cpu')
    arch = ck['arch']
    net = UNet(vocab=ck['vocab'], **arch)
    net.load_state_dict(ck['ema'])
    return EpsExport(net, cosine_alphas_cumprod()).to(device).eval(), net.words.weight.detach().to(device)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weights', required=True)
    ap.add_argument('--data', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--seeds', type=int, default=4)
    args = ap.parse_args()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    model, words = load(args.weights, device)
    concepts = json.load(open(os.path.join(args.data, 'dataset.json')))['concepts']
    labels = ['rocket', 'dog face', 'skull', 'pencil', 'cowboy hat face', 'snow-capped mountain', 'fire', 'old man',
              'water wave', 'ship', 'grinning face', 'red heart']
    rows = []
    for label in labels:
        c = next(c for c in concepts if c['label'] == label)
        ids = torch.tensor(c['captions'][0]['label'], device=device)
        cond = words[ids].mean(0, keepdim=True).repeat(args.seeds, 1)
        x = sample(model, cond, seed=len(rows), device=device)
        rows.append(((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy())
    grid = np.concatenate([np.concatenate(list(r), axis=1) for r in rows], axis=0)
    from PIL import Image
    Image.fromarray(grid).save(args.out)
    print('wrote', args.out, grid.shape)


if __name__ == '__main__':
    main()
