"""Trains the coarse expert (coarse.py) for the highest noise levels, with the word embeddings of a
trained main model frozen (the runtime has one table for both networks).

  /usr/bin/python3 models/emoji/train/train_coarse.py --words models/emoji --minutes 45 --out models/emoji/train/runs/coarse

Resumes from `<out>/ckpt.pt`, or continues the committed expert with `--init models/emoji` (the
optimizer restarts); writes `<out>/coarse.pt` (EMA weights) for export.py --coarse.
"""
import argparse
import copy
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from coarse import POOL, TRAIN_FROM, CoarseExpert, coarse_input, load_coarse  # noqa: E402
from data import EmojiData  # noqa: E402
from model import cosine_alphas_cumprod  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--words', required=True, help='model folder whose text/embeddings.bin to use (frozen)')
    ap.add_argument('--data', default=os.path.join(HERE, '..', 'data', 'build'))
    ap.add_argument('--out', required=True)
    ap.add_argument('--init', help='model folder whose committed expert (unet.onnx, coarse.*) to continue from')
    ap.add_argument('--minutes', type=float, default=45)
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--ema', type=float, default=0.999)
    ap.add_argument('--save-every', type=float, default=5, help='minutes between checkpoints')
    ap.add_argument('--threads', type=int, default=os.cpu_count() or 1)
    ap.add_argument('--seed', type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    data = EmojiData(args.data)
    table = torch.from_numpy(np.fromfile(os.path.join(args.words, 'text', 'embeddings.bin'), dtype=np.float32).copy())
    table = table.view(data.vocab_size, -1)
    net = CoarseExpert(text_dim=table.shape[1])
    ema = copy.deepcopy(net).eval().requires_grad_(False)
    opt = torch.optim.AdamW(net.parameters(), lr=args.lr, betas=(0.9, 0.99), weight_decay=0.0)
    step, images, seconds = 0, 0, 0.0
    ckpt_path = os.path.join(args.out, 'ckpt.pt')
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path)
        net.load_state_dict(ck['net'])
        ema.load_state_dict(ck['ema'])
        opt.load_state_dict(ck['opt'])
        step, images, seconds = ck['step'], ck['images'], ck['seconds']
        print(f'resumed at step {step}', flush=True)
    elif args.init:
        committed = load_coarse(args.init)
        if committed is None:
            raise SystemExit(f'{args.init}/unet.onnx has no coarse expert')
        net.load_state_dict(committed.state_dict())
        ema.load_state_dict(committed.state_dict())
        print(f'init from {args.init}', flush=True)
    print(f'{len(data)} images, {sum(p.numel() for p in net.parameters())} parameters', flush=True)
    abar = cosine_alphas_cumprod().float()
    gen = torch.Generator().manual_seed(args.seed + step)
    rng = random.Random(args.seed + step)

    def save(final=False):
        meta = dict(step=step, images=images, seconds=seconds, vocab=data.vocab_size)
        torch.save(dict(net=net.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(), **meta), ckpt_path + '.tmp')
        os.replace(ckpt_path + '.tmp', ckpt_path)
        torch.save(dict(ema=ema.state_dict(), **meta), os.path.join(args.out, 'coarse.pt'))
        print(f'saved step {step}{" (final)" if final else ""}', flush=True)

    start = last_log = last_save = time.time()
    start_step, loss_avg = step, None
    while time.time() - start < args.minutes * 60:
        x0, concepts = data.batch(args.batch, gen)
        ids, offsets = data.captions(concepts, rng)
        text = F.embedding_bag(ids, table, offsets, mode='mean')
        t = torch.randint(TRAIN_FROM, 1000, (x0.shape[0],), generator=gen)
        a = abar[t][:, None, None, None]
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn(x0.shape, generator=gen)
        loss = F.mse_loss(net(coarse_input(x_t, a), t.float(), text), F.avg_pool2d(x0, POOL))
        frac = (time.time() - start) / (args.minutes * 60)
        lr = args.lr * min(1.0, (step - start_step + 1) / 200) * (1.0 if frac < 0.6 else max(0.1, 1 - (frac - 0.6) / 0.4 * 0.9))
        for g in opt.param_groups:
            g['lr'] = lr
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        decay = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pn in zip(ema.parameters(), net.parameters()):
                pe.lerp_(pn, 1 - decay)
        step += 1
        images += x0.shape[0]
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        now = time.time()
        if now - last_log > 30:
            seconds += now - last_log
            last_log = now
            print(f'step {step} images {images} loss {loss_avg:.4f} lr {lr:.2e} {images / max(seconds, 1):.0f} img/s', flush=True)
        if now - last_save > args.save_every * 60:
            save()
            last_save = now
    seconds += time.time() - last_log
    save(final=True)
    json.dump(dict(step=step, images=images, seconds=seconds, loss=loss_avg), open(os.path.join(args.out, 'summary.json'), 'w'))


if __name__ == '__main__':
    main()
