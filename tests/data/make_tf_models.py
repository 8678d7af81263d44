"""Make the TensorFlow-converter fixtures tests/data/tf_*.tflite (committed; not run in CI).

Needs tensorflow-cpu (`pip install tensorflow-cpu`). Each model is a small Keras model with random
weights, converted with full-integer int8 post-training quantization (a representative data set of
random inputs). They let the tests check that edgekd reads what TF's converter writes: operator codes,
per-channel quantization, the Flatten chain (SHAPE/STRIDED_SLICE/PACK/RESHAPE), QUANTIZE/DEQUANTIZE at
float edges, MEAN, HARD_SWISH, and whatever TF makes of hard-sigmoid.

    python tests/data/make_tf_models.py            # writes next to this file
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

keras = tf.keras
layers = keras.layers
HERE = Path(__file__).resolve().parent


def cnn_flatten() -> keras.Model:
    """A CNN with Flatten and an unknown batch size: TF emits the SHAPE/STRIDED_SLICE/PACK/RESHAPE chain."""
    inp = keras.Input((28, 28, 1))
    x = layers.Conv2D(8, 3, activation="relu")(inp)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dense(10)(x)
    x = layers.Softmax()(x)
    return keras.Model(inp, x, name="cnn_flatten")


def dw_residual() -> keras.Model:
    """An inverted-residual block (expand 1x1, depthwise 3x3, project 1x1, ADD) then average pooling."""
    inp = keras.Input((24, 24, 8))
    x = layers.Conv2D(24, 1)(inp)
    x = layers.ReLU(6.0)(x)
    x = layers.DepthwiseConv2D(3, padding="same")(x)
    x = layers.ReLU(6.0)(x)
    x = layers.Conv2D(8, 1)(x)
    x = layers.Add()([inp, x])
    x = layers.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2, activation="relu")(x)
    x = layers.AveragePooling2D(2)(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(10)(x)
    return keras.Model(inp, x, name="dw_residual")


def mean_hardswish_se() -> keras.Model:
    """hard-swish, squeeze-excite with hard-sigmoid, keep-dims MEAN, broadcast MUL, global pooling."""
    inp = keras.Input((16, 16, 3))
    x = layers.Conv2D(16, 3, strides=2, padding="same")(inp)
    x = layers.Activation("hard_swish")(x)
    s = layers.GlobalAveragePooling2D(keepdims=True)(x)
    s = layers.Conv2D(8, 1, activation="relu")(s)
    s = layers.Conv2D(16, 1)(s)
    s = layers.Activation("hard_sigmoid")(s)
    x = layers.Multiply()([x, s])
    x = layers.Conv2D(24, 1)(x)
    x = layers.Activation("hard_swish")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(5)(x)
    return keras.Model(inp, x, name="mean_hardswish_se")


def convert(model: keras.Model, int8_io: bool, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    shape = (1,) + tuple(model.input_shape[1:])

    def representative():
        for _ in range(32):
            yield [rng.uniform(-1.0, 1.0, shape).astype(np.float32)]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if int8_io:
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    return conv.convert()


def main() -> int:
    tf.keras.utils.set_random_seed(0)
    fixtures = {
        "tf_cnn_flatten_int8io.tflite": (cnn_flatten(), True),
        "tf_dw_residual_floatio.tflite": (dw_residual(), False),
        "tf_mean_hardswish_se_int8io.tflite": (mean_hardswish_se(), True),
    }
    for name, (model, int8_io) in fixtures.items():
        data = convert(model, int8_io)
        if len(data) > 200 * 1024:
            print(f"{name}: {len(data)} bytes is over the 200 KB fixture budget", file=sys.stderr)
            return 1
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
