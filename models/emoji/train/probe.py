"""Where does the model lose the prompt? For training images of 96 random concepts, noise each one to
timestep t, let the network predict x0 from it with the English label as the prompt, and count how
often the nearest data-set image (16x16 RGB, as in `npm run eval:model`) shows the same concept.
Sampling starts at t = 990, so the concept a generation shows is decided at the highest noise levels.

  /usr/bin/python3 models/emoji/train/probe.py --weights models/emoji            # committed weights
  /usr/bin/python3 models/emoji/train/probe.py --weights <run>/ema.pt

Also prints the ceiling at t = 990, where x_t carries almost nothing and the best x0 estimate is the
mean of the concept's images: how often that mean's nearest image shows the concept.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import EmojiData  # noqa: E402
from model import UNet, cosine_alphas_cumprod, denoise_x0  # noqa: E402
from train import ARCH, load_init  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def load(weights, vocab):
    """The UNet from a model folder (unet.onnx) or from a run's ema.pt."""
    if os.path.isdir(weights):
        net = UNet(vocab=vocab, **ARCH)
        load_init(net, weights)
    else:
        ck = torch.load(weights, map_location='cpu')
        net = UNet(vocab=ck['vocab'], **ck['arch'])
        net.load_state_dict(ck['ema'])
    return net.eval()


@torch.no_grad()
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weights', required=True, help='a model folder (unet.onnx) or an ema.pt')
    ap.add_argument('--data', default=os.path.join(HERE, '..', 'data', 'build'))
    ap.add_argument('--concepts', type=int, default=96)
    ap.add_argument('--cfg', type=float, default=7.0)
    args = ap.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(0)
    data = EmojiData(args.data)
    net = load(args.weights, data.vocab_size)
    meta = json.load(open(os.path.join(args.data, 'dataset.json')))
    pixels = np.fromfile(os.path.join(args.data, 'images.u8'), dtype=np.uint8).reshape(-1, meta['size'], meta['size'], 3)
    every = torch.from_numpy(pixels).permute(0, 3, 1, 2).float() / 127.5 - 1
    concept_of = np.array([im['concept'] for im in meta['images']])
    feats = F.avg_pool2d(every, 4).flatten(1)

    def nearest_is(x, concepts):
        d = torch.cdist(F.avg_pool2d(x.clamp(-1, 1), 4).flatten(1), feats)
        return float((concept_of[d.argmin(1).numpy()] == concepts).mean())

    idx = np.random.default_rng(0).choice(len(data), args.concepts, replace=False)
    x0 = data.images[idx].float() / 127.5 - 1
    concepts = data.concept_of[idx]
    flat, offsets = [], []
    for c in concepts:
        offsets.append(len(flat))
        flat.extend(data.concepts[int(c)]['captions'][0]['label'])
    text = net.bag(torch.tensor(flat), torch.tensor(offsets))
    abar = cosine_alphas_cumprod()
    print(f'{args.concepts} concepts; share whose x0 estimate is nearest to an image of the prompted concept')
    print('    t  prompt  cfg ' + f'{args.cfg:g}'.ljust(4) + '  x0 mse')
    for t in (300, 500, 700, 850, 900, 950, 990):
        a = abar[t].float()
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn_like(x0)
        tt = torch.full((len(idx),), t)
        cond = denoise_x0(net, x_t, tt, text, abar)
        uncond = denoise_x0(net, x_t, tt, torch.zeros_like(text), abar)
        guided = uncond + args.cfg * (cond - uncond)
        print(f'{t:5d}  {nearest_is(cond, concepts):6.2f}  {nearest_is(guided, concepts):6.2f}  {F.mse_loss(cond, x0).item():.3f}')
    means = torch.stack([(data.images[torch.from_numpy(np.where(data.concept_of == c)[0])].float() / 127.5 - 1).mean(0) for c in concepts])
    print(f'ceiling at t=990 (the mean image of each concept): {nearest_is(means, concepts):.2f}')


if __name__ == '__main__':
    main()
