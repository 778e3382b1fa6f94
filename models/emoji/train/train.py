"""Trains the bundled emoji model (EDM-preconditioned x0 prediction on the DDPM cosine schedule).

  /usr/bin/python3 models/emoji/train/train.py --config cpu --minutes 120 --out models/emoji/train/runs/cpu
  python3 models/emoji/train/train.py --config gpu --minutes 6 --out $OUT   # on a CUDA machine

Resumes from `<out>/ckpt.pt` when present, or starts from the committed weights with
`--init models/emoji` (reads unet.onnx initializers and text/embeddings.bin; the optimizer restarts).
Writes `<out>/ckpt.pt` (full state, every few minutes) and `<out>/ema.pt` (EMA weights only).
"""
import argparse
import copy
import json
import os
import random
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import EmojiData  # noqa: E402
from model import UNet, cosine_alphas_cumprod, denoise_x0, precond  # noqa: E402

CONFIGS = {
    # 2 CPU cores: ~18 images/s for this 64x64 network. Batch and learning rate as measured in shared notes.
    'cpu': dict(batch=64, lr=1e-3, warmup=200, ema=0.999, threads=2, amp=False),
    # One large GPU: bf16 autocast, bigger batch.
    'gpu': dict(batch=256, lr=1.5e-3, warmup=300, ema=0.9995, threads=8, amp=True),
}
ARCH = dict(ch=64, mult=(1, 2, 3), blocks=2, attn_res=(8,), text_dim=64)


def load_init(net, model_dir):
    """Seeds the network from a committed export: ONNX initializers named like the state dict."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    m = onnx.load(os.path.join(model_dir, 'unet.onnx'))
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    state = net.state_dict()
    loaded = 0
    for k in state:
        for name in (k, 'net.' + k):
            if name in inits and tuple(inits[name].shape) == tuple(state[k].shape):
                state[k] = torch.from_numpy(inits[name].copy())
                loaded += 1
                break
    emb = np.fromfile(os.path.join(model_dir, 'text', 'embeddings.bin'), dtype=np.float32)
    state['words.weight'] = torch.from_numpy(emb.reshape(state['words.weight'].shape).copy())
    net.load_state_dict(state)
    print(f'init: {loaded + 1}/{len(state)} tensors from {model_dir}', flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--config', choices=CONFIGS, default='cpu')
    ap.add_argument('--data', default=os.path.join(os.path.dirname(__file__), '..', 'data', 'build'))
    ap.add_argument('--out', required=True)
    ap.add_argument('--minutes', type=float, default=60)
    ap.add_argument('--init', help='model folder to start from (committed weights)')
    ap.add_argument('--init-ema', help='an ema.pt (from a run elsewhere) to start from; the optimizer restarts')
    ap.add_argument('--save-every', type=float, default=5, help='minutes between checkpoints')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--batch', type=int, help='batch size (default: the config\'s)')
    ap.add_argument('--lr', type=float, help='peak learning rate (default: the config\'s; lower it when continuing)')
    ap.add_argument('--ema', type=float, help='EMA decay (default: the config\'s; lower it for short runs)')
    ap.add_argument('--focus', type=float, default=0.0,
                    help='share of samples whose timestep is drawn from [--focus-from, 999] instead of [0, 999]')
    ap.add_argument('--focus-from', type=int, default=700, help='lowest timestep of the focused range')
    args = ap.parse_args()
    cfg = dict(CONFIGS[args.config])
    cfg['batch'] = args.batch or cfg['batch']
    cfg['ema'] = args.ema or cfg['ema']
    device = 'cuda' if torch.cuda.is_available() and args.config == 'gpu' else 'cpu'
    torch.set_num_threads(cfg['threads'])
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    if device == 'cuda':
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True

    data = EmojiData(args.data).to(device)
    print(f'{len(data)} training images, vocab {data.vocab_size}, device {device}', flush=True)
    net = UNet(vocab=data.vocab_size, **ARCH).to(device)
    if device == 'cuda':
        net = net.to(memory_format=torch.channels_last)
    base_lr = args.lr or cfg['lr']
    opt = torch.optim.AdamW(net.parameters(), lr=base_lr, betas=(0.9, 0.99), weight_decay=0.0)
    ema = copy.deepcopy(net).eval().requires_grad_(False)
    step, images_seen, train_seconds = 0, 0, 0.0
    ckpt_path = os.path.join(args.out, 'ckpt.pt')
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location=device)
        net.load_state_dict(ck['net'])
        ema.load_state_dict(ck['ema'])
        opt.load_state_dict(ck['opt'])
        step, images_seen, train_seconds = ck['step'], ck['images'], ck.get('seconds', 0.0)
        print(f'resumed at step {step}', flush=True)
    elif args.init_ema:
        ck = torch.load(args.init_ema, map_location='cpu')
        net.load_state_dict({k: v.float() for k, v in ck['ema'].items()})
        ema.load_state_dict(net.state_dict())
        step, images_seen, train_seconds = ck['step'], ck['images'], ck.get('seconds', 0.0)
        print(f'init from {args.init_ema} (step {step})', flush=True)
    elif args.init:
        load_init(net, args.init)
        ema.load_state_dict(net.state_dict())

    abar = cosine_alphas_cumprod().to(device)
    gen = torch.Generator().manual_seed(args.seed + step)
    dgen = torch.Generator(device=device).manual_seed(args.seed + step + 1)
    rng = random.Random(args.seed + step)

    def save(final=False):
        meta = dict(step=step, images=images_seen, seconds=train_seconds, arch=ARCH, config=args.config, vocab=data.vocab_size)
        torch.save(dict(net=net.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(), **meta), ckpt_path + '.tmp')
        os.replace(ckpt_path + '.tmp', ckpt_path)
        torch.save(dict(ema={k: v.float().cpu() for k, v in ema.state_dict().items()}, **meta), os.path.join(args.out, 'ema.pt'))
        print(f'saved step {step}{" (final)" if final else ""}', flush=True)

    start, start_step = time.time(), step
    last_save, last_log, loss_avg = start, start, None
    while time.time() - start < args.minutes * 60:
        x0, concepts = data.batch(cfg['batch'], gen)
        ids, offsets = data.captions(concepts, rng)
        t = torch.randint(0, 1000, (x0.shape[0],), generator=dgen, device=device)
        if args.focus > 0:
            hi = torch.randint(args.focus_from, 1000, t.shape, generator=dgen, device=device)
            t = torch.where(torch.rand(t.shape, generator=dgen, device=device) < args.focus, hi, t)
        eps = torch.randn(x0.shape, generator=dgen, device=device)
        a = abar[t].float()[:, None, None, None]
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * eps
        sigma = ((1 - a) / a).sqrt()
        c_in, c_skip, c_out = precond(sigma)
        z = x_t / a.sqrt()
        target = (x0 - c_skip * z) / c_out  # EDM: unit-weighted loss on the network output
        with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=cfg['amp'] and device == 'cuda'):
            text = net.bag(ids.to(device), offsets.to(device))
            out = net((c_in * z).contiguous(memory_format=torch.channels_last) if device == 'cuda' else c_in * z, t.float(), text)
            loss = F.mse_loss(out.float(), target)
        # Warm-up, constant, then a linear decay to 10% over the last 40% of the time budget.
        frac = (time.time() - start) / (args.minutes * 60)
        lr = base_lr * min(1.0, (step - start_step + 1) / cfg['warmup']) * (1.0 if frac < 0.6 else max(0.1, 1 - (frac - 0.6) / 0.4 * 0.9))
        for g in opt.param_groups:
            g['lr'] = lr
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        decay = min(cfg['ema'], (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, pn in zip(ema.parameters(), net.parameters()):
                pe.lerp_(pn, 1 - decay)
        step += 1
        images_seen += x0.shape[0]
        loss_avg = loss.item() if loss_avg is None else 0.98 * loss_avg + 0.02 * loss.item()
        now = time.time()
        if now - last_log > 30:
            train_seconds += now - last_log
            last_log = now
            print(f'step {step} images {images_seen} loss {loss_avg:.4f} lr {lr:.2e} {images_seen / max(train_seconds, 1):.0f} img/s (cumulative)', flush=True)
        if now - last_save > args.save_every * 60:
            save()
            last_save = now
    train_seconds += time.time() - last_log
    save(final=True)
    json.dump(dict(step=step, images=images_seen, seconds=train_seconds, loss=loss_avg), open(os.path.join(args.out, 'summary.json'), 'w'))


if __name__ == '__main__':
    main()
