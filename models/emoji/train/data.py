"""The emoji training set built by `npm run data:emoji` (models/emoji/data/build/), and caption sampling."""
import json
import os
import random

import numpy as np
import torch


class EmojiData:
    """Images as uint8 [N, 64, 64, 3]; captions as vocab ids per concept and locale."""

    def __init__(self, build_dir, split='train', flag_weight=0.3):
        meta = json.load(open(os.path.join(build_dir, 'dataset.json')))
        vocab = json.load(open(os.path.join(build_dir, 'vocab.json')))
        self.vocab_size = len(vocab['tokens'])
        self.concepts = meta['concepts']
        size = meta['size']
        pixels = np.fromfile(os.path.join(build_dir, 'images.u8'), dtype=np.uint8).reshape(-1, size, size, 3)
        keep = [i for i, im in enumerate(meta['images']) if self.concepts[im['concept']]['split'] == split]
        self.images = torch.from_numpy(pixels[keep]).permute(0, 3, 1, 2).contiguous()
        self.concept_of = np.array([meta['images'][i]['concept'] for i in keep])
        # Flags (group 9) are ~270 near-identical striped rectangles: sample them less often.
        w = np.array([flag_weight if self.concepts[c]['group'] == 9 else 1.0 for c in self.concept_of])
        self.weights = torch.from_numpy(w / w.sum())

    def __len__(self):
        return len(self.images)

    def to(self, device):
        """Keeps the (small) image set on the training device."""
        self.images = self.images.to(device)
        return self

    def batch(self, n, gen):
        """A batch of images in [-1, 1] and their concept indices."""
        idx = torch.multinomial(self.weights, n, replacement=True, generator=gen)
        x = self.images[idx.to(self.images.device)].float() / 127.5 - 1
        return x, self.concept_of[idx.numpy()]

    def caption(self, concept, rng: random.Random, drop=0.1):
        """Vocab ids of one random caption of a concept: label, label + tags, a few tags or the emoji
        character, in English half of the time; [] (the unconditional input) with probability `drop`."""
        if rng.random() < drop:
            return []
        c = self.concepts[concept]
        caps = c['captions']
        cap = caps[0] if rng.random() < 0.5 or len(caps) == 1 else rng.choice(caps[1:])
        r = rng.random()
        if r < 0.55 or not cap['tags']:
            ids = list(cap['label'])
        elif r < 0.8:
            ids = list(cap['label']) + [i for t in rng.sample(cap['tags'], min(len(cap['tags']), rng.randint(1, 3))) for i in t]
        elif r < 0.95 or c.get('char') is None:
            ids = [i for t in rng.sample(cap['tags'], min(len(cap['tags']), rng.randint(1, 2))) for i in t] + list(cap['label'][-1:])
        else:
            ids = [c['char']]
        return sorted(set(ids))

    def captions(self, concepts, rng, drop=0.1):
        """EmbeddingBag inputs (flat ids, offsets) for a batch of concepts."""
        flat, offsets = [], []
        for c in concepts:
            offsets.append(len(flat))
            flat.extend(self.caption(int(c), rng, drop))
        return torch.tensor(flat, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)
