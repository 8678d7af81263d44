"""Build the second zoo: whole networks that use the ops beyond the CNN subset (resize, transpose conv,
dilated conv, BATCH_MATMUL, layer norm, GELU, LSTM, GRU cells, float32 weights), as .tflite files made by
TensorFlow's converter, for tests/test_zoo_ops.py.

The conventions are make_zoo.py's: Keras models built here with random weights (He initialization,
batch-norm statistics set as after training), batch size 1, full-integer post-training quantization
(TFLITE_BUILTINS_INT8, int8 input and output, a representative data set of seeded random inputs), except
for the float entries: float32 as is, or with float16 weights. Every model is small enough to be
committed under tests/data/zoo_ops/. Rebuild with TensorFlow in its own virtual environment (it is not one
of edgekd's dependencies):

    python3 -m venv /path/to/tf-venv && /path/to/tf-venv/bin/pip install tensorflow-cpu tf-keras
    /path/to/tf-venv/bin/python benchmarks/zoo/make_zoo_ops.py [--only NAME,...]

(made with tensorflow-cpu 2.21.0 and tf-keras 2.21.0; tf-keras, Keras 2, is needed for the LSTM only, see
lstm_kws).

The PyTorch exports of the same folder come from tests/data/zoo_ops/make_torch_models.py (litert-torch).
File names and display names are listed in benchmarks/zoo/networks.py (ZOO_OPS).
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_zoo import Conv2D, Dense, DepthwiseConv2D, L, _bn_relu, keras, run, tf  # noqa: E402
from networks import ZOO_OPS  # noqa: E402


def unet_seg() -> keras.Model:
    """A two-level UNet on 64x64x3: conv blocks down by max pooling, one level back up with a stride-2
    transposed conv and one with bilinear upsampling, skip connections joined by concatenation, a 1x1 conv
    to 4 classes and a per-pixel softmax."""
    inp = keras.Input((64, 64, 3))
    e1 = _bn_relu(Conv2D(8, 3, padding="same", use_bias=False)(inp))
    e2 = _bn_relu(Conv2D(16, 3, padding="same", use_bias=False)(L.MaxPooling2D(2)(e1)))
    b = _bn_relu(Conv2D(32, 3, padding="same", use_bias=False)(L.MaxPooling2D(2)(e2)))
    u2 = L.Conv2DTranspose(16, 2, strides=2, padding="same", kernel_initializer="he_normal")(b)
    d2 = _bn_relu(Conv2D(16, 3, padding="same", use_bias=False)(L.Concatenate()([u2, e2])))
    u1 = L.UpSampling2D(2, interpolation="bilinear")(d2)
    d1 = _bn_relu(Conv2D(8, 3, padding="same", use_bias=False)(L.Concatenate()([u1, e1])))
    x = L.Softmax()(Conv2D(4, 1)(d1))
    return keras.Model(inp, x, name="unet_seg")


def ssdlite_det() -> keras.Model:
    """An SSD-lite detector on 96x96x3 up to its raw outputs: a depthwise-separable backbone, heads
    (depthwise 3x3 + 1x1 conv) on the 12x12 and 6x6 maps with 3 anchors each, box offsets reshaped to
    [1, anchors, 4] and class scores to [1, anchors, 5] (sigmoid), each concatenated over both maps."""
    inp = keras.Input((96, 96, 3))
    x = _bn_relu(Conv2D(16, 3, strides=2, padding="same", use_bias=False)(inp), 6.0)
    feats = []
    for filters, stride, head in [(24, 2, False), (32, 2, False), (32, 1, True), (64, 2, True)]:
        x = _bn_relu(DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x), 6.0)
        x = _bn_relu(Conv2D(filters, 1, use_bias=False)(x), 6.0)
        if head:
            feats.append(x)
    boxes, scores = [], []
    for f in feats:
        for out, dst, act in [(3 * 4, boxes, None), (3 * 5, scores, "sigmoid")]:
            h = _bn_relu(DepthwiseConv2D(3, padding="same", use_bias=False)(f), 6.0)
            h = Conv2D(out, 1)(h)
            dst.append(L.Reshape((-1, out // 3))(h))
    b = L.Concatenate(axis=1, name="boxes")(boxes)
    s = L.Activation("sigmoid", name="scores")(L.Concatenate(axis=1)(scores))
    return keras.Model(inp, [b, s], name="ssdlite_det")


def _layer_norm_block(x, heads: int, dim: int, ff: int):
    a = L.MultiHeadAttention(heads, dim // heads)(x, x)
    x = L.LayerNormalization(epsilon=1e-5)(L.Add()([x, a]))
    h = Dense(ff)(x)
    h = L.Activation(lambda t: tf.nn.gelu(t, approximate=False))(h)
    h = Dense(dim)(h)
    return L.LayerNormalization(epsilon=1e-5)(L.Add()([x, h]))


def transformer_enc() -> keras.Model:
    """Two post-norm transformer encoder layers on 16 tokens of width 32: 2-head self-attention (the
    converter writes BATCH_MATMUL and SOFTMAX), layer norm, a 64-unit GELU feed-forward, then a mean over
    tokens and a 10-way classifier."""
    inp = keras.Input((16, 32))
    x = inp
    for _ in range(2):
        x = _layer_norm_block(x, 2, 32, 64)
    x = L.GlobalAveragePooling1D()(x)
    x = Dense(10)(x)
    return keras.Model(inp, x, name="transformer_enc")


def lstm_kws():
    """A keyword spotter on 49 frames of 10 MFCCs: one 32-unit LSTM over the frames, its last output to a
    12-way softmax. Built with Keras 2 (the tf-keras package): TensorFlow's converter fuses Keras 2's LSTM
    into UNIDIRECTIONAL_SEQUENCE_LSTM (int8, with int16 cell state), while Keras 3's becomes a WHILE loop.
    Built at batch 1 here, since a Keras 2 model does not take a Keras 3 input."""
    try:
        import tf_keras
    except ImportError as e:
        raise SystemExit("lstm_kws needs Keras 2: pip install tf-keras (the version of tensorflow-cpu)") from e
    tf_keras.utils.set_random_seed(0)
    inp = tf_keras.Input((49, 10), batch_size=1)
    x = tf_keras.layers.LSTM(32)(inp)
    x = tf_keras.layers.Dense(12, activation="softmax", kernel_initializer="he_normal")(x)
    return tf_keras.Model(inp, x, name="lstm_kws")


def gru_audio() -> keras.Model:
    """A small audio classifier: a 1-D conv front end (as a 2-D conv over 32 frames of 16 mel bands), a
    24-unit GRU unrolled over the 16 remaining frames (FULLY_CONNECTED, LOGISTIC, TANH, MUL, SUB, ADD and
    the splits of the gates), a 6-way classifier."""
    inp = keras.Input((32, 16))
    x = L.Conv1D(24, 3, strides=2, padding="same", activation="relu", kernel_initializer="he_normal")(inp)
    x = L.GRU(24, unroll=True, reset_after=True)(x)
    x = Dense(6)(x)
    return keras.Model(inp, x, name="gru_audio")


def mobilenet_v2_float() -> keras.Model:
    """MobileNetV2 0.35 at 64x64 (inverted residuals, ReLU6, residual ADDs) with 10 classes, kept in
    float32."""
    blocks = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 2, 2), (6, 96, 1, 1)]
    inp = keras.Input((64, 64, 3))
    x = _bn_relu(Conv2D(16, 3, strides=2, padding="same", use_bias=False)(inp), 6.0)
    for expand, c, n, s in blocks:
        out = max(8, int(c * 0.35 + 4) // 8 * 8)
        for i in range(n):
            cin = x.shape[-1]
            y = _bn_relu(Conv2D(cin * expand, 1, use_bias=False)(x), 6.0) if expand != 1 else x
            y = _bn_relu(DepthwiseConv2D(3, strides=s if i == 0 else 1, padding="same", use_bias=False)(y), 6.0)
            y = L.BatchNormalization()(Conv2D(out, 1, use_bias=False)(y))
            x = L.Add()([x, y]) if i > 0 and cin == out else y
    x = _bn_relu(Conv2D(256, 1, use_bias=False)(x), 6.0)
    x = L.GlobalAveragePooling2D()(x)
    x = Dense(10, activation="softmax")(x)
    return keras.Model(inp, x, name="mobilenet_v2_float")


def deeplab_aspp() -> keras.Model:
    """A DeepLab v3+ style segmenter on 48x48x3: low-level features at stride 4, a stride-8 map through a
    dilated (rate 2) depthwise-separable block and an ASPP (a 1x1 conv, 3x3 convs at rates 2 and 3, an
    image-pooling branch: global mean, 1x1 conv, resized back), concatenated and projected, upsampled x2 by
    nearest neighbour, joined with the low-level features, projected to 6 classes and resized bilinearly
    to the input size."""
    inp = keras.Input((48, 48, 3))
    x = _bn_relu(Conv2D(16, 3, strides=2, padding="same", use_bias=False)(inp))
    low = _bn_relu(Conv2D(24, 3, strides=2, padding="same", use_bias=False)(x))
    x = _bn_relu(DepthwiseConv2D(3, strides=2, padding="same", use_bias=False)(low))
    x = _bn_relu(Conv2D(32, 1, use_bias=False)(x))
    x = _bn_relu(DepthwiseConv2D(3, dilation_rate=2, padding="same", use_bias=False)(x))
    x = _bn_relu(Conv2D(32, 1, use_bias=False)(x))
    branches = [_bn_relu(Conv2D(16, 1, use_bias=False)(x))]
    for rate in (2, 3):
        branches.append(_bn_relu(Conv2D(16, 3, dilation_rate=rate, padding="same", use_bias=False)(x)))
    pool = L.GlobalAveragePooling2D(keepdims=True)(x)
    pool = _bn_relu(Conv2D(16, 1, use_bias=False)(pool))
    branches.append(L.Resizing(6, 6, interpolation="bilinear")(pool))
    y = _bn_relu(Conv2D(32, 1, use_bias=False)(L.Concatenate()(branches)))
    y = L.Resizing(12, 12, interpolation="nearest")(y)
    y = _bn_relu(Conv2D(32, 3, padding="same", use_bias=False)(L.Concatenate()([y, low])))
    y = Conv2D(6, 1)(y)
    y = L.Resizing(48, 48, interpolation="bilinear")(y)
    return keras.Model(inp, y, name="deeplab_aspp")


BUILDERS = {
    "unet_seg": unet_seg,
    "ssdlite_det": ssdlite_det,
    "transformer_enc": transformer_enc,
    "lstm_kws": lstm_kws,
    "gru_audio": gru_audio,
    "mobilenet_v2_float": mobilenet_v2_float,
    "mobilenet_v2_fp16": mobilenet_v2_float,
    "deeplab_aspp": deeplab_aspp,
}
# stem -> how it is converted (make_zoo.convert's kinds): full-integer int8 unless listed here
KINDS = {"mobilenet_v2_float": "float32", "mobilenet_v2_fp16": "float16"}


if __name__ == "__main__":  # the PyTorch exports of ZOO_OPS have no builder here: make_torch_models.py
    sys.exit(run(ZOO_OPS.values(), BUILDERS, KINDS, __doc__))
