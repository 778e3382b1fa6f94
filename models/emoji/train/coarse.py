"""A coarse expert for the highest noise levels (the idea of eDiff-I's noise-level experts, Balaji et
al. 2022): a small network that sees x_t average-pooled to 16x16 and predicts the 16x16 average of
x0, trained only on t in [750, 999]. `probe.py` shows where the main UNet loses the prompt: its x0
estimate is close to the prompted concept up to t = 850 and not above t = 900, where a generation
decides what it shows. This expert is cheap enough to train on a CPU for the many samples that
regime needs.

At sampling time the exported graph replaces the low frequencies of the main UNet's x0 estimate
with the expert's, fully from t = 900 up and blended in linearly between t = 800 and 900:
  x0 = x0_main + w(t) (up(x0_coarse) - up(pool(x0_main)))
so the details still come from the main network.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from model import ResBlock, read_initializers, timestep_embedding

POOL = 4  # 64x64 -> 16x16
BLEND = (800.0, 900.0)  # w(t) = 0 below the first, 1 above the second
TRAIN_FROM = 750  # the expert trains on t in [TRAIN_FROM, 999]


class CoarseExpert(nn.Module):
    """(x_t pooled to 16x16 and scaled to unit variance, t, prompt vector) -> x0 pooled to 16x16."""

    def __init__(self, ch=64, emb=128, text_dim=64, layout=8, blocks=4):
        super().__init__()
        self.ch, self.layout_ch = ch, layout
        # How much of the main network's coarse picture is replaced (1: all of it). A buffer, so the
        # exported graph keeps it as the initializer coarse.mix.
        self.register_buffer('mix', torch.tensor(1.0))
        self.time = nn.Sequential(nn.Linear(ch, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.text = nn.Sequential(nn.Linear(text_dim, 512), nn.SiLU(), nn.Linear(512, emb))
        # The prompt writes a 16x16 map directly: the coarse picture of a concept.
        self.layout = nn.Linear(emb, layout * 16 * 16)
        self.pos = nn.Parameter(torch.zeros(1, ch, 16, 16))
        self.stem = nn.Conv2d(3 + layout, ch, 3, padding=1)
        self.blocks = nn.ModuleList([ResBlock(ch, ch, emb) for _ in range(blocks)])
        self.norm = nn.GroupNorm(16, ch)
        self.head = nn.Conv2d(ch, 3, 3, padding=1)

    def forward(self, x16, t, text):
        tx = self.text(text)
        e = F.silu(self.time(timestep_embedding(t, self.ch)) + tx)
        lay = self.layout(tx).view(-1, self.layout_ch, 16, 16)
        h = self.stem(torch.cat([x16, lay], 1)) + self.pos
        for b in self.blocks:
            h = b(h, e)
        return self.head(F.silu(self.norm(h)))

    def refine(self, x0_main, x_t, a, t, text):
        """The main network's x0 estimate with its coarse picture replaced by this expert's, by w(t)."""
        return combine(x0_main, self(coarse_input(x_t, a), t, text), t, self.mix)


def coarse_input(x_t, a):
    """x_t pooled to 16x16, divided by its standard deviation (pooling 16 pixels shrinks the noise 4x)."""
    x16 = F.avg_pool2d(x_t, POOL)
    return x16 / (a * 1.0 + (1 - a) / POOL ** 2).sqrt()


def blend_weight(t):
    lo, hi = BLEND
    return ((t.float() - lo) / (hi - lo)).clamp(0, 1)


def combine(x0_main, x0_coarse16, t, mix=1.0):
    """The main estimate with its 16x16 average replaced by the expert's, by mix * w(t)."""
    w = mix * blend_weight(t)[:, None, None, None]
    low = F.interpolate(F.avg_pool2d(x0_main, POOL), scale_factor=POOL, mode='bilinear', align_corners=False)
    new = F.interpolate(x0_coarse16, scale_factor=POOL, mode='bilinear', align_corners=False)
    return x0_main + w * (new - low)


def load_coarse(model_dir):
    """The coarse expert inside a committed unet.onnx (initializers coarse.*), or None."""
    inits = {k[len('coarse.'):]: v for k, v in read_initializers(model_dir).items() if k.startswith('coarse.')}
    if not inits:
        return None
    expert = CoarseExpert()
    expert.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in inits.items()})
    return expert.eval()


def load_coarse_pt(path):
    """The EMA weights of a train_coarse.py run (coarse.pt); `mix` keeps its default when absent."""
    expert = CoarseExpert()
    state = torch.load(path, map_location='cpu')['ema']
    state.setdefault('mix', expert.mix)
    expert.load_state_dict(state)
    return expert.eval()
