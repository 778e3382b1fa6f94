"""The bundled emoji model: a small pixel-space UNet on 64x64 RGB with a 2x2 space-to-depth stem,
conditioned on a bag-of-words prompt embedding, trained with EDM preconditioning (Karras et al.
2022) on the DDPM cosine schedule and exported as an epsilon predictor.

Notation: x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps; z = x_t / sqrt(abar_t) = x0 + sigma eps with
sigma = sqrt((1 - abar_t) / abar_t). The network F predicts x0 as
D(z) = c_skip z + c_out F(c_in z, t), c_in = 1/sqrt(sigma^2 + sd^2), c_skip = sd^2/(sigma^2 + sd^2),
c_out = sigma sd / sqrt(sigma^2 + sd^2), sd = sigma_data = 0.5.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

SIGMA_DATA = 0.5


def cosine_alphas_cumprod(n=1000, max_beta=0.999):
    """diffusers' squaredcos_cap_v2 betas (Nichol & Dhariwal 2021) -> alphas_cumprod, float64."""
    f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    betas = [min(1 - f((i + 1) / n) / f(i / n), max_beta) for i in range(n)]
    return torch.cumprod(1 - torch.tensor(betas, dtype=torch.float64), 0)


def timestep_embedding(t, dim):
    """Sinusoidal embedding of (float) timesteps t in [0, 1000), as in DDPM/ADM."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


def groups(c):
    """GroupNorm group count: 32 when it divides the channels, else the largest of 16, 8, 4."""
    return next(g for g in (32, 16, 8, 4, 1) if c % g == 0)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb):
        super().__init__()
        self.n1 = nn.GroupNorm(groups(cin), cin)
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb, 2 * cout)
        self.n2 = nn.GroupNorm(groups(cout), cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        nn.init.zeros_(self.c2.weight)
        nn.init.zeros_(self.c2.bias)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, e):
        h = self.c1(F.silu(self.n1(x)))
        scale, shift = self.emb(e)[:, :, None, None].chunk(2, dim=1)
        h = self.n2(h) * (1 + scale) + shift
        h = self.c2(F.silu(h))
        return self.skip(x) + h


class Attention(nn.Module):
    def __init__(self, c, heads=4):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(groups(c), c)
        self.qkv = nn.Conv2d(c, 3 * c, 1)
        self.out = nn.Conv2d(c, c, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x):
        b, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, self.heads, c // self.heads, h * w).unbind(1)
        att = torch.softmax(torch.einsum('bhci,bhcj->bhij', q, k) / math.sqrt(c // self.heads), dim=-1)
        o = torch.einsum('bhij,bhcj->bhci', att, v).reshape(b, c, h, w)
        return x + self.out(o)


class UNet(nn.Module):
    """F(c_in z, t, text): 64x64x3 -> 64x64x3 through a 2x2 space-to-depth stem (32x32 inside)."""

    def __init__(self, ch=64, mult=(1, 2, 3), blocks=2, attn_res=(8,), text_dim=64, vocab=1):
        super().__init__()
        self.ch, self.text_dim = ch, text_dim
        emb = 4 * ch
        self.time = nn.Sequential(nn.Linear(ch, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.text = nn.Sequential(nn.Linear(text_dim, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.words = nn.Embedding(vocab, text_dim)
        nn.init.normal_(self.words.weight, std=0.5)
        self.stem = nn.Conv2d(12, ch, 3, padding=1)
        self.down = nn.ModuleList()
        chans, c, res = [ch], ch, 32
        for i, m in enumerate(mult):
            for _ in range(blocks):
                self.down.append(nn.ModuleList([ResBlock(c, ch * m, emb), Attention(ch * m) if res in attn_res else nn.Identity()]))
                c = ch * m
                chans.append(c)
            if i < len(mult) - 1:
                self.down.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
                chans.append(c)
                res //= 2
        self.mid = nn.ModuleList([ResBlock(c, c, emb), Attention(c), ResBlock(c, c, emb)])
        self.up = nn.ModuleList()
        for i, m in reversed(list(enumerate(mult))):
            for _ in range(blocks + 1):
                self.up.append(nn.ModuleList([ResBlock(c + chans.pop(), ch * m, emb), Attention(ch * m) if res in attn_res else nn.Identity()]))
                c = ch * m
            if i > 0:
                self.up.append(nn.Upsample(scale_factor=2, mode='nearest'))
                res *= 2
        self.norm = nn.GroupNorm(groups(c), c)
        self.head = nn.Conv2d(c, 12, 3, padding=1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x, t, text):
        e = self.time(timestep_embedding(t, self.ch)) + self.text(text)
        h = self.stem(F.pixel_unshuffle(x, 2))
        skips = [h]
        for layer in self.down:
            if isinstance(layer, nn.ModuleList):
                h = layer[1](layer[0](h, e))
            else:
                h = layer(h)
            skips.append(h)
        h = self.mid[2](self.mid[1](self.mid[0](h, e)), e)
        for layer in self.up:
            if isinstance(layer, nn.ModuleList):
                h = layer[1](layer[0](torch.cat([h, skips.pop()], 1), e))
            else:
                h = layer(h)
        return F.pixel_shuffle(self.head(F.silu(self.norm(h))), 2)

    def bag(self, ids, offsets):
        """Mean of the word embeddings of each caption (empty caption -> zeros: the unconditional input)."""
        return F.embedding_bag(ids, self.words.weight, offsets, mode='mean')


def precond(sigma):
    """EDM coefficients (c_in, c_skip, c_out) for sigma of shape [N]."""
    s2 = sigma ** 2 + SIGMA_DATA ** 2
    return 1 / s2.sqrt(), SIGMA_DATA ** 2 / s2, sigma * SIGMA_DATA / s2.sqrt()


def denoise_x0(net, x_t, t, text, abar):
    """x0_hat from x_t at integer timesteps t through the EDM-preconditioned network."""
    a = abar[t].float()[:, None, None, None]
    sigma = ((1 - a) / a).sqrt()
    c_in, c_skip, c_out = precond(sigma)
    z = x_t / a.sqrt()
    return c_skip * z + c_out * net(c_in * z, t.float(), text)


class EpsExport(nn.Module):
    """The exported graph: (sample x_t, float timestep, cond text vector) -> eps, like DeepFloyd IF's UNet."""

    def __init__(self, net, abar):
        super().__init__()
        self.net = net
        self.register_buffer('abar', abar.float())

    def forward(self, sample, timestep, cond):
        t = timestep.round().long().clamp(0, self.abar.shape[0] - 1)
        a = self.abar[t][:, None, None, None]
        sigma = ((1 - a) / a).sqrt()
        c_in, c_skip, c_out = precond(sigma)
        z = sample / a.sqrt()
        x0 = c_skip * z + c_out * self.net(c_in * z, timestep, cond)
        return (sample - a.sqrt() * x0) / (1 - a).sqrt()
