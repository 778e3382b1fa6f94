"""Exports trained EMA weights as the bundled model folder: unet.onnx (epsilon predictor, opset 17,
dynamic batch), text/{vocab.json, embeddings.bin, concepts.json} and model.json.

  /usr/bin/python3 models/emoji/train/export.py --weights <run>/ema.pt [--data models/emoji/data/build] [--out models/emoji]
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import EpsExport, UNet, cosine_alphas_cumprod  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weights', required=True)
    ap.add_argument('--data', default=os.path.join(HERE, '..', 'data', 'build'))
    ap.add_argument('--out', default=os.path.join(HERE, '..'))
    args = ap.parse_args()
    ck = torch.load(args.weights, map_location='cpu')
    net = UNet(vocab=ck['vocab'], **ck['arch'])
    net.load_state_dict(ck['ema'])
    net.eval()
    model = EpsExport(net, cosine_alphas_cumprod()).eval()
    dim = ck['arch']['text_dim']
    os.makedirs(os.path.join(args.out, 'text'), exist_ok=True)
    x = torch.randn(2, 3, 64, 64)
    t = torch.tensor([500.0, 20.0])
    c = torch.randn(2, dim)
    with torch.no_grad():
        torch.onnx.export(
            model, (x, t, c), os.path.join(args.out, 'unet.onnx'), opset_version=17,
            input_names=['sample', 'timestep', 'cond'], output_names=['eps'],
            do_constant_folding=False,  # keeps initializer names equal to the state dict (resumable)
            dynamic_axes={'sample': {0: 'batch'}, 'timestep': {0: 'batch'}, 'cond': {0: 'batch'}, 'eps': {0: 'batch'}},
        )
    net.words.weight.detach().float().numpy().astype('<f4').tofile(os.path.join(args.out, 'text', 'embeddings.bin'))
    vocab = json.load(open(os.path.join(args.data, 'vocab.json')))
    assert len(vocab['tokens']) == ck['vocab'], 'vocabulary does not match the weights'
    json.dump(vocab, open(os.path.join(args.out, 'text', 'vocab.json'), 'w'), ensure_ascii=False)
    data = json.load(open(os.path.join(args.data, 'dataset.json')))
    # One entry per concept and locale label, so "un chien" is understood as "🐕 chien".
    concepts, seen = [], set()
    for c in data['concepts']:
        for cap in c['captions']:
            key = (c['emoji'], tuple(sorted(cap['label'])))
            if key in seen:
                continue
            seen.add(key)
            label = c['label'] if cap['locale'] == 'en' else ' '.join(vocab['tokens'][i] for i in cap['label'])
            # The caption's tags as one list of word ids (data/concept-tags.ts writes the same field).
            tags = list(dict.fromkeys(i for t in cap['tags'] for i in t))
            concepts.append(dict(emoji=c['emoji'], label=label, tokens=cap['label'], locale=cap['locale'], split=c['split'], tags=tags))
    json.dump(concepts, open(os.path.join(args.out, 'text', 'concepts.json'), 'w'), ensure_ascii=False)
    manifest = {
        'name': 'emoji',
        'family': 'pixel',
        'description': 'Text-conditioned 64x64 emoji diffusion UNet trained by this project (bag-of-words prompts).',
        'license': 'Weights: MIT. Trained on Noto Emoji (Apache-2.0), Twemoji (CC-BY-4.0), Fluent Emoji Flat (MIT).',
        'attribution': 'ATTRIBUTION.md',
        'sample': {'channels': 3, 'height': 64, 'width': 64},
        'scheduler': {'beta_schedule': 'squaredcos_cap_v2', 'num_train_timesteps': 1000, 'prediction_type': 'epsilon',
                      'variance_type': 'fixed_small'},
        'unet': {'file': 'unet.onnx', 'inputs': {'sample': 'sample', 'timestep': 'timestep', 'cond': 'cond'},
                 'outputs': {'eps': 'eps'}, 'dtype': 'float32', 'timestep_dtype': 'float32', 'max_batch': 8},
        'prompt': {'encoder': 'bag-of-words', 'vocab': 'text/vocab.json', 'embeddings': 'text/embeddings.bin',
                   'embeddings_dtype': 'float32', 'dim': dim, 'concepts': 'text/concepts.json'},
        'defaults': {'steps': 33, 'guidance': 7},
        'training': {k: ck[k] for k in ('step', 'images', 'seconds', 'config') if k in ck},
    }
    json.dump(manifest, open(os.path.join(args.out, 'model.json'), 'w'), indent=2, ensure_ascii=False)
    print('exported to', os.path.abspath(args.out), manifest['training'])


if __name__ == '__main__':
    main()
