#!/usr/bin/env python3
"""Small ONNX files for the runtime tests (run with Debian's /usr/bin/python3, which has onnx):

  test/runtime/fixtures/external-data/model.onnx (+ model.onnx_data): y = x @ W + b with W and b
      stored in the external data file, as exporters store weights over 2 GB (expected.json: y for
      x = arange(64) / 64);
  test/webgpu/fixtures/tiny-sd-unet-external/model.onnx (+ model.onnx_data): models/tiny-sd's UNet
      with every initializer moved to the external data file;
  test/runtime/fixtures/cuda-only/model.onnx: a com.microsoft GroupNorm node (NHWC, as Olive's
      Stable Diffusion exports use it), a contrib operator that only the CUDA provider implements;
  test/latent/fixtures/preview-decoder/model.onnx: a TAESD-shaped preview decoder for 4x8x8 latents
      (nearest 8x upsampling, then a 1x1 convolution to RGB and tanh), weights seeded (weights.json).

Usage: /usr/bin/python3 scripts/make-onnx-fixtures.py
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.external_data_helper import convert_model_to_external_data

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
rng = np.random.default_rng(27)


def save(model, path, external=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.checker.check_model(model)
    if external:
        if os.path.exists(os.path.join(os.path.dirname(path), external)):
            os.remove(os.path.join(os.path.dirname(path), external))  # onnx appends to an existing file
        convert_model_to_external_data(model, all_tensors_to_one_file=True, location=external, size_threshold=0)
    onnx.save_model(model, path)
    print(path)


def external_data():
    w = rng.standard_normal((64, 64)).astype(np.float32) * 0.1
    b = rng.standard_normal((64,)).astype(np.float32) * 0.1
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])],
        "external_data",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 64])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    folder = os.path.join(ROOT, "test/runtime/fixtures/external-data")
    save(model, os.path.join(folder, "model.onnx"), "model.onnx_data")
    x = (np.arange(64, dtype=np.float32) / 64).reshape(1, 64)
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"x": "arange(64) / 64", "y": [round(float(v), 6) for v in (x @ w + b)[0]]}, f)
        f.write("\n")


def tiny_sd_unet_external():
    model = onnx.load(os.path.join(ROOT, "models/tiny-sd/unet/model.onnx"))
    save(model, os.path.join(ROOT, "test/webgpu/fixtures/tiny-sd-unet-external/model.onnx"), "model.onnx_data")


def cuda_only():
    c = 32
    graph = helper.make_graph(
        [
            helper.make_node(
                "GroupNorm", ["x", "gamma", "beta"], ["y"], domain="com.microsoft",
                activation=1, epsilon=1e-5, groups=8, channels_last=1,
            )
        ],
        "cuda_only",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT16, [1, 8, 8, c])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT16, [1, 8, 8, c])],
        [
            numpy_helper.from_array(np.ones(c, np.float32), "gamma"),
            numpy_helper.from_array(np.zeros(c, np.float32), "beta"),
        ],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    )
    model.ir_version = 8
    path = os.path.join(ROOT, "test/runtime/fixtures/cuda-only/model.onnx")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save_model(model, path)  # the checker does not know contrib operators
    print(path)


def preview_decoder():
    w = (rng.standard_normal((3, 4, 1, 1)) * 0.5).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Resize", ["latent_sample", "", "scales"], ["up"], mode="nearest"),
            helper.make_node("Conv", ["up", "W"], ["rgb"]),
            helper.make_node("Tanh", ["rgb"], ["sample"]),
        ],
        "preview_decoder",
        [helper.make_tensor_value_info("latent_sample", TensorProto.FLOAT, ["batch", 4, "h", "w"])],
        [helper.make_tensor_value_info("sample", TensorProto.FLOAT, ["batch", 3, "H", "W"])],
        [
            numpy_helper.from_array(np.array([1, 1, 8, 8], np.float32), "scales"),
            numpy_helper.from_array(w, "W"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    folder = os.path.join(ROOT, "test/latent/fixtures/preview-decoder")
    save(model, os.path.join(folder, "model.onnx"))
    with open(os.path.join(folder, "weights.json"), "w") as f:
        json.dump({"W": [[round(float(v), 7) for v in row] for row in w[:, :, 0, 0]]}, f)
        f.write("\n")


if __name__ == "__main__":
    external_data()
    tiny_sd_unet_external()
    cuda_only()
    preview_decoder()
