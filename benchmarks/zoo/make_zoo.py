"""Build the model zoo: public edge architectures as full-integer int8 .tflite files made by TensorFlow's
converter, for edgekd's correctness tests (tests/test_zoo.py) and benchmarks (compare.py, paired.py).

Every model is a Keras model built here from its published layer list (no weights are downloaded: weights
are random, batch-norm layers set as after training, see set_batchnorm), converted with full-integer
post-training quantization (TFLITE_BUILTINS_INT8, int8 input and output, a representative data set of
seeded random inputs). Batch size is fixed at 1 for conversion so the converter writes constant shapes.

Small models (under 1 MB) go to tests/data/zoo/ and are committed; the big ones (MobileNetV1 1.0 224,
ResNet-18 224, EfficientNet-Lite0) go to the cache directory ($EDGEKD_ZOO_CACHE, default
~/.cache/edgekd/zoo), where the benchmarks pick them up when present. Rebuild with TensorFlow in its own
virtual environment (it is not one of edgekd's dependencies):

    python3 -m venv /path/to/tf-venv && /path/to/tf-venv/bin/pip install tensorflow-cpu
    /path/to/tf-venv/bin/python benchmarks/zoo/make_zoo.py [--only NAME,...] [--skip-big]

The file names and display names are listed in benchmarks/zoo/networks.py (which needs no TensorFlow).
"""
from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from networks import ZOO  # noqa: E402

keras = tf.keras
L = keras.layers
COMMIT_LIMIT = 1024 * 1024
# He initialization keeps the activations' spread from layer to layer through ReLU; with Keras's Glorot
# default it shrinks every layer and the outputs of deep nets end up not depending on their input.
Conv2D = functools.partial(L.Conv2D, kernel_initializer="he_normal")
DepthwiseConv2D = functools.partial(L.DepthwiseConv2D, depthwise_initializer="he_normal")
Dense = functools.partial(L.Dense, kernel_initializer="he_normal")


def _bn_relu(x, relu_max: float | None = None):
    x = L.BatchNormalization()(x)
    return L.ReLU(relu_max)(x)


def ds_cnn_kws() -> keras.Model:
    """MLPerf Tiny keyword spotting DS-CNN: 49x10 MFCC, conv 10x4/2 to 64, four depthwise-separable
    blocks of 64, average pooling over the remaining 25x5, 12 classes."""
    inp = keras.Input((49, 10, 1))
    x = _bn_relu(Conv2D(64, (10, 4), strides=2, padding="same", use_bias=False)(inp))
    for _ in range(4):
        x = _bn_relu(DepthwiseConv2D(3, padding="same", use_bias=False)(x))
        x = _bn_relu(Conv2D(64, 1, use_bias=False)(x))
    x = L.AveragePooling2D(pool_size=(25, 5))(x)
    x = L.Flatten()(x)
    x = Dense(12, activation="softmax")(x)
    return keras.Model(inp, x, name="ds_cnn_kws")


def ds_cnn_multiplier() -> keras.Model:
    """A DS-CNN on a 49x40 spectrogram whose depthwise layers are not the 3x3 multiplier-1 kind: a 10x8
    stride-2 depthwise with depth multiplier 32 on the one input channel, then 5x3 and 3x3 depthwise
    layers with multipliers 2 and 4 between 1x1 convs."""
    inp = keras.Input((49, 40, 1))
    x = _bn_relu(DepthwiseConv2D((10, 8), strides=2, padding="same", depth_multiplier=32, use_bias=False)(inp))
    x = _bn_relu(DepthwiseConv2D((5, 3), padding="same", depth_multiplier=2, use_bias=False)(x))
    x = _bn_relu(Conv2D(48, 1, use_bias=False)(x))
    x = _bn_relu(DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=4, use_bias=False)(x))
    x = _bn_relu(Conv2D(64, 1, use_bias=False)(x))
    x = L.GlobalAveragePooling2D()(x)
    x = Dense(12, activation="softmax")(x)
    return keras.Model(inp, x, name="ds_cnn_multiplier")


def mobilenet_v1(alpha: float, size: int, classes: int) -> keras.Model:
    """MobileNetV1: conv 3x3/2 then 13 depthwise-separable blocks (ReLU6), global average pool, FC."""
    blocks = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
    inp = keras.Input((size, size, 3))
    x = _bn_relu(Conv2D(int(32 * alpha), 3, strides=2, padding="same", use_bias=False)(inp), 6.0)
    for filters, stride in blocks:
        x = _bn_relu(DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x), 6.0)
        x = _bn_relu(Conv2D(int(filters * alpha), 1, use_bias=False)(x), 6.0)
    x = L.GlobalAveragePooling2D()(x)
    x = Dense(classes, activation="softmax")(x)
    return keras.Model(inp, x, name=f"mobilenet_v1_{alpha}_{size}")


def _basic_block(x, filters: int, stride: int):
    """ResNet basic block: two 3x3 convs, a 1x1 strided projection when the shape changes."""
    y = _bn_relu(Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x))
    y = L.BatchNormalization()(Conv2D(filters, 3, padding="same", use_bias=False)(y))
    if stride != 1 or x.shape[-1] != filters:
        x = L.BatchNormalization()(Conv2D(filters, 1, strides=stride, use_bias=False)(x))
    return L.ReLU()(L.Add()([x, y]))


def resnet8_cifar() -> keras.Model:
    """MLPerf Tiny image classification ResNet-8: 32x32x3, conv 16, three basic blocks (16, 32/2, 64/2),
    8x8 average pool, FC 10."""
    inp = keras.Input((32, 32, 3))
    x = _bn_relu(Conv2D(16, 3, padding="same", use_bias=False)(inp))
    for filters, stride in [(16, 1), (32, 2), (64, 2)]:
        x = _basic_block(x, filters, stride)
    x = L.AveragePooling2D(pool_size=8)(x)
    x = L.Flatten()(x)
    x = Dense(10, activation="softmax")(x)
    return keras.Model(inp, x, name="resnet8_cifar")


def resnet18() -> keras.Model:
    """ResNet-18 at 224x224: conv 7x7/2 64, max pool 3x3/2, four stages of two basic blocks, FC 1000."""
    inp = keras.Input((224, 224, 3))
    x = _bn_relu(Conv2D(64, 7, strides=2, padding="same", use_bias=False)(inp))
    x = L.MaxPooling2D(3, strides=2, padding="same")(x)
    for filters, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        x = _basic_block(x, filters, stride)
        x = _basic_block(x, filters, 1)
    x = L.GlobalAveragePooling2D()(x)
    x = Dense(1000, activation="softmax")(x)
    return keras.Model(inp, x, name="resnet18")


def fc_autoencoder() -> keras.Model:
    """MLPerf Tiny anomaly detection: 640 -> 128 x3 -> 8 -> 128 x3 -> 640, BN + ReLU on hidden layers."""
    inp = keras.Input((640,))
    x = inp
    for units in [128, 128, 128, 8, 128, 128, 128]:
        x = _bn_relu(Dense(units)(x))
    x = Dense(640)(x)
    return keras.Model(inp, x, name="fc_autoencoder")


def tiny_fc() -> keras.Model:
    """Three dense layers of 16 units on 16 inputs: the call itself dominates."""
    inp = keras.Input((16,))
    x = Dense(16, activation="relu")(inp)
    x = Dense(16, activation="relu")(x)
    x = Dense(16)(x)
    return keras.Model(inp, x, name="tiny_fc")


def _round_filters(c: int, divisor: int = 8) -> int:
    new = max(divisor, int(c + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * c else new


def efficientnet_lite0() -> keras.Model:
    """EfficientNet-Lite0 (224x224): EfficientNet-B0's MBConv stages without squeeze-excite, ReLU6
    instead of swish, stem and head kept at 32 and 1280 channels."""
    stages = [  # expand ratio, kernel, stride, output channels, repeats
        (1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
        (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]
    inp = keras.Input((224, 224, 3))
    x = _bn_relu(Conv2D(32, 3, strides=2, padding="same", use_bias=False)(inp), 6.0)
    for expand, k, stride, out, repeats in stages:
        for r in range(repeats):
            s = stride if r == 0 else 1
            cin = x.shape[-1]
            y = x
            if expand != 1:
                y = _bn_relu(Conv2D(cin * expand, 1, use_bias=False)(y), 6.0)
            y = _bn_relu(DepthwiseConv2D(k, strides=s, padding="same", use_bias=False)(y), 6.0)
            y = L.BatchNormalization()(Conv2D(_round_filters(out), 1, use_bias=False)(y))
            x = L.Add()([x, y]) if s == 1 and cin == y.shape[-1] else y
    x = _bn_relu(Conv2D(1280, 1, use_bias=False)(x), 6.0)
    x = L.GlobalAveragePooling2D()(x)
    x = Dense(1000, activation="softmax")(x)
    return keras.Model(inp, x, name="efficientnet_lite0")


BUILDERS = {
    "ds_cnn_kws": ds_cnn_kws,
    "ds_cnn_multiplier": ds_cnn_multiplier,
    "mobilenet_v1_025_96": lambda: mobilenet_v1(0.25, 96, 2),
    "mobilenet_v1_100_224": lambda: mobilenet_v1(1.0, 224, 1000),
    "resnet8_cifar": resnet8_cifar,
    "resnet18_224": resnet18,
    "fc_autoencoder": fc_autoencoder,
    "tiny_fc": tiny_fc,
    "efficientnet_lite0": efficientnet_lite0,
}


def set_batchnorm(model: keras.Model, rng: np.random.Generator, batch: int = 8) -> None:
    """Random scale and offset, and moving statistics measured on one batch of the representative
    distribution (momentum 0, one forward pass in training mode), as a trained network has them: fresh
    BN layers are the identity, and without normalization ReLU6 nets saturate and stop depending on
    their input."""
    bns = [layer for layer in model.layers if isinstance(layer, L.BatchNormalization)]
    for layer in bns:
        n = layer.gamma.shape[0]
        layer.gamma.assign(rng.uniform(0.5, 1.5, n).astype(np.float32))
        layer.beta.assign(rng.uniform(-0.1, 0.1, n).astype(np.float32))
        layer.momentum = 0.0
    x = rng.uniform(-1.0, 1.0, (batch,) + tuple(model.input_shape[1:])).astype(np.float32)
    model(x, training=True)


def convert(model: keras.Model, samples: int, seed: int = 0, kind: str = "int8") -> bytes:
    """Full-integer post-training quantization (``int8``: int8 kernels, input and output, calibrated on
    ``samples`` seeded uniform inputs in [-1, 1]), a plain float32 conversion (``float32``), or float16
    weights (``float16``: float32 arithmetic, the converter DEQUANTIZEs each float16 constant)."""
    rng = np.random.default_rng(seed)
    shape = tuple(model.input_shape)

    def representative():
        for _ in range(samples):
            yield [rng.uniform(-1.0, 1.0, shape).astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if kind == "float16":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
    elif kind == "int8":
        return convert_int8(conv, representative)
    elif kind != "float32":
        raise ValueError(f"unknown conversion {kind!r}")
    return conv.convert()


def convert_int8(conv: "tf.lite.TFLiteConverter", representative) -> bytes:
    """Full-integer post-training quantization with int8 input and output."""
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


def selection(only: str, builders: dict) -> set[str] | None:
    """The stems of ``--only`` (empty: all), or None after naming the unknown ones on stderr."""
    stems = {s.strip() for s in only.split(",") if s.strip()}
    unknown = stems - set(builders)
    if unknown:
        print(f"unknown zoo model(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return None
    return stems


def build_and_write(entry, builder, samples: int, kind: str = "int8") -> bool:
    """Build one zoo model (seeded), convert it at batch 1 (so the converter writes constant shapes) and
    write it atomically to ``entry.path``; False, with a message, if a committed model is over the limit."""
    keras.utils.set_random_seed(0)
    model = builder()
    set_batchnorm(model, np.random.default_rng(1))
    if model.input_shape[0] != 1:
        inp = keras.Input(model.input_shape[1:], batch_size=1)
        model = keras.Model(inp, model(inp))
    data = convert(model, samples, kind=kind)
    if entry.committed and len(data) > COMMIT_LIMIT:
        print(f"{entry.stem}: {len(data)} bytes is over the {COMMIT_LIMIT} byte limit for committed models",
              file=sys.stderr)
        return False
    entry.path.parent.mkdir(parents=True, exist_ok=True)
    tmp = entry.path.with_name(f".{entry.stem}.tflite.tmp")
    tmp.write_bytes(data)
    tmp.replace(entry.path)
    print(f"{entry.path}: {len(data)} bytes, {model.count_params()} parameters")
    return True


def run(entries, builders: dict, kinds: dict[str, str], doc: str) -> int:
    """The command line of make_zoo.py and make_zoo_ops.py: build ``entries`` (those with a builder), each
    converted as ``kinds`` says (int8 by default)."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--only", default="", help="comma-separated file stems (default: all)")
    ap.add_argument("--skip-big", action="store_true", help="only the committed (small) models")
    ap.add_argument("--samples", type=int, default=32, help="representative inputs per model")
    args = ap.parse_args()
    only = selection(args.only, builders)
    if only is None:
        return 2
    for entry in entries:
        if (entry.stem not in builders or (only and entry.stem not in only)
                or (args.skip_big and not entry.committed)):
            continue
        if not build_and_write(entry, builders[entry.stem], args.samples, kinds.get(entry.stem, "int8")):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(run(ZOO.values(), BUILDERS, {}, __doc__))
