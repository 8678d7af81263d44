"""The test-network builders: valid int8 quantization (TFLite's spec) and the real layer shapes."""
from __future__ import annotations

import numpy as np
import pytest

from edgekd import ir
from edgekd.testing import models as M


def _weight_ops(g: ir.Graph):
    for op in g.ops:
        if op.type in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            yield op


@pytest.mark.parametrize("build", [
    lambda: M.small_cnn(), lambda: M.mobilenet_v2(0.35, 96), lambda: M.mobilenet_v3_small(0.75, 96),
], ids=["small_cnn", "mobilenet_v2", "mobilenet_v3_small"])
def test_quantization_follows_the_int8_spec(build) -> None:
    g = build()
    g.validate()
    for op in _weight_ops(g):
        x, w = g.tensors[op.inputs[0]], g.tensors[op.inputs[1]]
        axis = 3 if op.type == "DEPTHWISE_CONV_2D" else 0
        assert w.dtype == "int8" and w.quant.quantized_dimension == axis
        assert w.quant.per_channel_count == w.shape[axis]
        assert np.all(w.quant.zero_point == 0)
        assert w.data.min() >= -127 and w.data.max() <= 127
        # every channel uses its range: the largest |w| of each channel is 127
        red = tuple(d for d in range(w.data.ndim) if d != axis)
        assert np.all(np.abs(w.data.astype(np.int32)).max(axis=red) == 127)
        if op.inputs[2] >= 0:
            b = g.tensors[op.inputs[2]]
            assert b.dtype == "int32" and np.all(b.quant.zero_point == 0)
            np.testing.assert_allclose(b.quant.scale, x.quant.scale[0] * w.quant.scale, rtol=1e-6)
    for i, t in enumerate(g.tensors):
        if t.data is None and t.dtype == "int8":
            assert t.quant is not None and not t.quant.is_per_channel, t.name
            assert -128 <= t.quant.zero_point[0] <= 127
    for op in g.ops:  # ops whose int8 kernels need fixed or unchanged output parameters
        out = g.tensors[op.outputs[0]].quant
        if op.type in ("SOFTMAX", "LOGISTIC"):
            assert out == ir.QuantParams.per_tensor(1.0 / 256.0, -128)
        if op.type in ("MAX_POOL_2D", "AVERAGE_POOL_2D", "RESHAPE", "PAD"):
            assert out == g.tensors[op.inputs[0]].quant


def test_mobilenet_v2_has_keras_layer_shapes() -> None:
    g = M.mobilenet_v2(0.35, 96, num_classes=1000)
    convs = [g.tensors[op.outputs[0]].shape for op in g.ops if op.type == "CONV_2D"]
    assert convs[0] == (1, 48, 48, 16)       # stem: make_divisible(32 * 0.35) = 16, stride 2
    assert convs[-1] == (1, 3, 3, 1280)      # 96 / 32 = 3; the last conv stays 1280 for alpha <= 1
    adds = sum(op.type == "ADD" for op in g.ops)
    assert adds == 10                        # residuals: 1 + 2 + 3 + 2 + 2 (blocks with n > 1, after the first)
    dws = [op for op in g.ops if op.type == "DEPTHWISE_CONV_2D"]
    assert len(dws) == 17
    n = sum(t.data.size for t in g.tensors if t.data is not None)
    assert 1.6e6 < n < 1.75e6                # Keras: 1.69 M parameters (with batch norm)
    assert g.tensors[g.outputs[0]].shape == (1, 1000)


def test_mobilenet_v3_small_structure() -> None:
    g = M.mobilenet_v3_small(0.75, 96)
    types = [op.type for op in g.ops]
    assert types.count("DEPTHWISE_CONV_2D") == 11
    assert types.count("MEAN") == 10         # 9 squeeze-excite blocks + the head
    muls = [op for op in g.ops if op.type == "MUL"]
    assert len(muls) == 18                   # per SE: x1/6 gate (hard-sigmoid as TF emits it) and the scale
    # the SE scale multiplies [N,H,W,C] by a [N,1,1,C] gate
    bcast = [op for op in muls if g.tensors[op.inputs[1]].shape[1:3] == (1, 1) and g.tensors[op.inputs[0]].shape[1] > 1]
    assert len(bcast) == 9
    assert types.count("HARD_SWISH") >= 19
    assert types.count("ADD") == 6
    n = sum(t.data.size for t in g.tensors if t.data is not None)
    assert 1.9e6 < n < 2.1e6                 # Keras MobileNetV3Small(alpha=0.75): ~2.0 M parameters
    logistic = M.mobilenet_v3_small(0.75, 96, se_gate="logistic")
    assert [op.type for op in logistic.ops].count("LOGISTIC") == 9
    with pytest.raises(ValueError, match="se_gate"):
        M.mobilenet_v3_small(se_gate="swish")


def test_builders_are_deterministic_and_seeded() -> None:
    assert M.small_cnn(seed=1) == M.small_cnn(seed=1)
    assert M.small_cnn(seed=1) != M.small_cnn(seed=2)


def test_one_op_model_names_unknown_ops() -> None:
    with pytest.raises(ValueError, match="no one-op model for 'FOO'"):
        M.one_op_model("FOO")
    assert set(M.all_one_op_models()) == set(M.ONE_OP_TYPES)


def test_make_divisible_matches_keras() -> None:
    assert [M.make_divisible(c * 0.35) for c in (32, 16, 24, 32, 64, 96, 160, 320)] == [16, 8, 8, 16, 24, 32, 56, 112]
    assert [M.make_divisible(c * 0.75) for c in (16, 24, 40, 48, 96, 576)] == [16, 24, 32, 40, 72, 432]


def _se_signature(g: ir.Graph, mean_index: int) -> list[tuple]:
    """The op chain after a keep-dims MEAN: (type, fused activation, constant-scalar second input)."""
    out = []
    for op in g.ops[mean_index: mean_index + 5]:
        second = g.tensors[op.inputs[1]] if len(op.inputs) > 1 and op.inputs[1] >= 0 else None
        scalar_const = second is not None and second.data is not None and second.shape == ()
        out.append((op.type, op.options.get("fused_activation_function", "NONE"), scalar_const))
    return out


def test_se_gate_is_the_pattern_tf_emits() -> None:
    """The MobileNetV3 squeeze-excite gate is built the way TF's converter writes Keras's hard-sigmoid
    (see the committed fixture): MEAN -> CONV RELU -> CONV RELU6 (+3 in the bias) -> MUL by scalar 1/6
    -> MUL with the feature map."""
    from edgekd.tflite import read_tflite
    from pathlib import Path

    tf = read_tflite(Path(__file__).parent / "data" / "tf_mean_hardswish_se_int8io.tflite")
    ours = M.mobilenet_v3_small(0.75, 96)

    def first_keepdims_mean(g: ir.Graph) -> int:
        return next(i for i, op in enumerate(g.ops) if op.type == "MEAN" and op.options["keep_dims"])

    assert _se_signature(ours, first_keepdims_mean(ours)) == _se_signature(tf, first_keepdims_mean(tf))
    mul_const = next(op for op in ours.ops if op.type == "MUL" and ours.tensors[op.inputs[1]].data is not None)
    c = ours.tensors[mul_const.inputs[1]]
    assert abs(float(c.quant.dequantize(c.data)) - 1.0 / 6.0) < c.quant.scale[0]
