"""Build the float32 test models with TensorFlow's converter: a MobileNet-style network that uses every
float op edgekd runs (conv, depthwise with multipliers 1 and 2, fully connected, ADD, MUL with broadcast,
PAD, max and average pooling, MEAN, CONCATENATION, SOFTMAX, RELU6, LOGISTIC, TANH, HARD_SWISH, RESHAPE),
as float32 and with float16 weights (DEQUANTIZE of float16 constants), for tests/test_float_models.py.

With --bench it also builds float32 MobileNetV2s for benchmarks/paired.py into $EDGEKD_ZOO_CACHE (default
~/.cache/edgekd/zoo; too big to commit). Weights are random and seeded; nothing is downloaded. Rebuild with
TensorFlow in its own virtual environment (it is not one of edgekd's dependencies):

    python3 -m venv /path/to/tf-venv && /path/to/tf-venv/bin/pip install tensorflow-cpu
    /path/to/tf-venv/bin/python tests/data/float/make_float_models.py [--bench]
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

HERE = Path(__file__).resolve().parent
CACHE_DIR = Path(os.environ.get("EDGEKD_ZOO_CACHE", Path.home() / ".cache" / "edgekd" / "zoo"))
COMMIT_LIMIT = 1024 * 1024
keras = tf.keras
L = keras.layers


def relu6(x):
    return L.ReLU(6.0)(x)


def hard_swish(x):
    # The converter fuses x * relu6(x + 3) / 6 into HARD_SWISH.
    return L.Lambda(lambda t: t * tf.nn.relu6(t + 3.0) * (1.0 / 6.0))(x)


def mobilenet_float(size: int = 32, classes: int = 10) -> keras.Model:
    init = {"kernel_initializer": "he_normal", "bias_initializer": keras.initializers.RandomUniform(-0.1, 0.1)}
    dw_init = {"depthwise_initializer": "he_normal", "bias_initializer": keras.initializers.RandomUniform(-0.1, 0.1)}
    inp = keras.Input((size, size, 3), batch_size=1)
    x = relu6(L.Conv2D(16, 3, strides=2, padding="same", **init)(inp))            # 16x16x16
    x = relu6(L.DepthwiseConv2D(3, padding="same", **dw_init)(x))
    x = L.Conv2D(16, 1, **init)(x)
    y = relu6(L.Conv2D(48, 1, **init)(x))                                          # inverted residual
    y = relu6(L.DepthwiseConv2D(3, padding="same", **dw_init)(y))
    x = L.Add()([x, L.Conv2D(16, 1, **init)(y)])
    x = L.ZeroPadding2D(((0, 1), (0, 1)))(x)                                       # PAD
    x = hard_swish(L.DepthwiseConv2D(3, strides=2, padding="valid", depth_multiplier=2, **dw_init)(x))  # 8x8x32
    se = L.GlobalAveragePooling2D(keepdims=True)(x)                                # squeeze-excite: MEAN
    se = L.Conv2D(8, 1, activation="relu", **init)(se)
    se = L.Conv2D(32, 1, activation="sigmoid", **init)(se)                         # LOGISTIC
    x = L.Multiply()([x, se])                                                      # MUL, broadcast
    a = L.Conv2D(24, 1, activation="tanh", **init)(x)                              # TANH
    b = L.MaxPooling2D(3, strides=1, padding="same")(L.Conv2D(16, 3, padding="same", **init)(x))
    x = L.Concatenate()([a, b])                                                    # 8x8x40
    x = L.AveragePooling2D(2)(x)                                                   # 4x4x40
    x = relu6(L.Conv2D(64, 3, strides=2, padding="same", **init)(x))               # 2x2x64
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(classes, activation="softmax", **init)(x)
    return keras.Model(inp, x, name="mobilenet_float")


def mobilenet_v2(alpha: float, size: int) -> keras.Model:
    inp = keras.Input((size, size, 3), batch_size=1)
    net = keras.applications.MobileNetV2(input_shape=(size, size, 3), alpha=alpha, weights=None, classes=1000)
    return keras.Model(inp, net(inp))


def convert(model: keras.Model, float16_weights: bool = False) -> bytes:
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if float16_weights:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
    return conv.convert()


def write(path: Path, data: bytes, limit: int | None = None) -> None:
    if limit is not None and len(data) > limit:
        raise SystemExit(f"{path.name}: {len(data)} bytes is over the {limit} byte limit for committed models")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    print(f"{path}: {len(data)} bytes")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", action="store_true", help="also the float32 MobileNetV2s for the benchmarks")
    args = ap.parse_args()
    keras.utils.set_random_seed(0)
    model = mobilenet_float()
    write(HERE / "mobilenet_float32.tflite", convert(model), COMMIT_LIMIT)
    write(HERE / "mobilenet_float16_weights.tflite", convert(model, float16_weights=True), COMMIT_LIMIT)
    if args.bench:
        for alpha, size, stem in [(0.35, 96, "mobilenet_v2_035_96_f32"), (1.0, 224, "mobilenet_v2_100_224_f32")]:
            keras.utils.set_random_seed(0)
            write(CACHE_DIR / f"{stem}.tflite", convert(mobilenet_v2(alpha, size)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
