"""The math ops, one op per model, against LiteRT's builtin kernels bit for bit on every SIMD path here: SUB,
SQUARED_DIFFERENCE, DIV, MAXIMUM, MINIMUM, PRELU (with broadcasting), LEAKY_RELU, ELU, GELU (exact and
approximate), EXP, RSQRT, LOG_SOFTMAX, BATCH_MATMUL, TRANSPOSE_CONV, dilated CONV_2D and DEPTHWISE_CONV_2D.
Models come from tests/litert_oneop_math.py (flatbuffers built independently of edgekd's writer)."""
from __future__ import annotations

import re

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")

import edgekd  # noqa: E402
import litert_oneop_math as M  # noqa: E402
from runtime_helpers import available_paths, edgekd_outputs, first_difference, litert_outputs  # noqa: E402

PATHS = available_paths()
SEEDS = (0, 1, 2)

CASES = {
    # binary ops: same shapes (odd sizes), per-channel, scalar and middle-axis broadcasts, either side
    "sub": lambda s: M.binary(M.SUB, (1, 5, 7, 19), (1, 5, 7, 19), s),
    "sub_channel_relu": lambda s: M.binary(M.SUB, (1, 6, 6, 16), (1, 1, 1, 16), s, act="RELU"),
    "sub_scalar_first": lambda s: M.binary(M.SUB, (1,), (2, 3, 40), s),
    "sub_const": lambda s: M.binary(M.SUB, (4, 33), (33,), s, b_const=True),
    "squared_difference": lambda s: M.binary(M.SQUARED_DIFFERENCE, (2, 9, 64), (2, 9, 64), s),
    "squared_difference_mean": lambda s: M.binary(M.SQUARED_DIFFERENCE, (2, 9, 64), (2, 9, 1), s),
    "div": lambda s: M.binary(M.DIV, (3, 70), (3, 70), s),
    "div_broadcast_relu6": lambda s: M.binary(M.DIV, (2, 5, 8), (2, 1, 8), s, act="RELU6"),
    "div_scalar": lambda s: M.binary(M.DIV, (3, 40), (1,), s),
    "maximum": lambda s: M.binary(M.MAXIMUM, (1, 4, 4, 8), (8,), s),
    "maximum_same": lambda s: M.binary(M.MAXIMUM, (2, 77), (2, 77), s),
    "minimum": lambda s: M.binary(M.MINIMUM, (3, 5), (3, 1), s),
    "minimum_const": lambda s: M.binary(M.MINIMUM, (1, 6, 6, 3), (1,), s, b_const=True),
    "prelu_channel": lambda s: M.binary(M.PRELU, (1, 6, 6, 8), (1, 1, 8), s, b_const=True),
    "prelu_same": lambda s: M.binary(M.PRELU, (2, 5, 12), (2, 5, 12), s),
    # table activations
    "leaky_relu": lambda s: M.unary(M.LEAKY_RELU, (1, 8, 8, 8), s, alpha=0.2),
    "leaky_relu_alpha_above_1": lambda s: M.unary(M.LEAKY_RELU, (2, 40), s, alpha=1.7),
    "elu": lambda s: M.unary(M.ELU, (4, 64), s),
    "gelu": lambda s: M.unary(M.GELU, (4, 64), s),
    "gelu_approximate": lambda s: M.unary(M.GELU, (4, 64), s, approximate=True),
    "exp": lambda s: M.unary(M.EXP, (4, 64), s),
    "rsqrt": lambda s: M.unary(M.RSQRT, (4, 64), s),
    "log_softmax": lambda s: M.unary(M.LOG_SOFTMAX, (4, 33), s),
    "log_softmax_long_rows": lambda s: M.unary(M.LOG_SOFTMAX, (2, 1001), s),
    # BATCH_MATMUL: adj_x / adj_y, constant rhs, batch broadcast up to rank 5, depth beyond one chunk
    "batch_matmul": lambda s: M.batch_matmul((2, 4, 8), (2, 8, 5), seed=s),
    "batch_matmul_const_rhs": lambda s: M.batch_matmul((3, 17, 33), (33, 9), rhs_const=True, seed=s),
    "batch_matmul_adj_y_broadcast": lambda s: M.batch_matmul((1, 2, 6, 8), (2, 1, 5, 8), adj_y=True, seed=s),
    "batch_matmul_adj_x_adj_y": lambda s: M.batch_matmul((2, 8, 6), (2, 5, 8), adj_x=True, adj_y=True, seed=s),
    "batch_matmul_adj_x": lambda s: M.batch_matmul((2, 8, 6), (2, 8, 5), adj_x=True, seed=s),
    "batch_matmul_rank5": lambda s: M.batch_matmul((2, 3, 1, 7, 20), (3, 20, 4), seed=s),
    "batch_matmul_deep": lambda s: M.batch_matmul((1, 3, 2100), (1, 2100, 4), seed=s),
    "batch_matmul_attention": lambda s: M.batch_matmul((4, 16, 32), (4, 16, 32), adj_y=True, seed=s),
    # TRANSPOSE_CONV: channels a multiple of 8 (all on the GEMM) or not (tail on the reference), no bias,
    # stride 1, VALID, a geometry the conv cannot express (1x1 stride 2), fused activation
    "transpose_conv": lambda s: M.transpose_conv((1, 4, 4, 8), 8, seed=s),
    "transpose_conv_odd_channels": lambda s: M.transpose_conv((1, 5, 7, 3), 5, seed=s),
    "transpose_conv_k4_no_bias": lambda s: M.transpose_conv((2, 4, 4, 16), 12, k=4, bias=False, seed=s),
    "transpose_conv_stride1": lambda s: M.transpose_conv((1, 6, 6, 4), 16, stride=1, seed=s),
    "transpose_conv_valid": lambda s: M.transpose_conv((1, 3, 5, 8), 9, padding="VALID", seed=s),
    "transpose_conv_1x1_stride2": lambda s: M.transpose_conv((1, 4, 4, 8), 8, k=1, seed=s),
    "transpose_conv_2x2_relu": lambda s: M.transpose_conv((1, 8, 8, 32), 16, k=2, act="RELU", seed=s),
    # dilated convolutions (DeepLab-style atrous blocks)
    "dilated_conv": lambda s: M.dilated_conv((1, 9, 9, 4), 8, seed=s),
    "dilated_conv_d4_valid": lambda s: M.dilated_conv((1, 17, 15, 8), 16, dilation=4, padding="VALID", seed=s),
    "dilated_conv_strided": lambda s: M.dilated_conv((1, 12, 12, 3), 8, dilation=2, stride=2, seed=s),
    "dilated_conv_5x5": lambda s: M.dilated_conv((1, 14, 14, 16), 24, k=5, dilation=3, seed=s),
    "dilated_depthwise": lambda s: M.dilated_conv((1, 9, 9, 8), 8, depthwise=True, seed=s),
    "dilated_depthwise_d4": lambda s: M.dilated_conv((1, 20, 18, 32), 32, dilation=4, depthwise=True, seed=s),
    "dilated_depthwise_multiplier": lambda s: M.dilated_conv((1, 10, 10, 4), 12, depthwise=True, seed=s),
    "dilated_depthwise_strided_valid": lambda s: M.dilated_conv((1, 15, 15, 16), 16, dilation=2, stride=2,
                                                                padding="VALID", depthwise=True, seed=s),
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_litert(name, path):
    for seed in SEEDS:
        case = CASES[name](seed)
        want = litert_outputs(case.model, case.feeds)
        got = edgekd_outputs(case.model, case.feeds, path=path)
        assert got[0].dtype == want[0].dtype
        assert np.array_equal(got[0], want[0]), f"{name} seed {seed} path {path}: {first_difference(got[0], want[0])}"


@pytest.mark.parametrize("name", ["sub", "div", "squared_difference", "batch_matmul_attention",
                                  "transpose_conv_2x2_relu", "transpose_conv_odd_channels"])
def test_thread_count_does_not_change_results(name):
    case = CASES[name](7)
    one = edgekd_outputs(case.model, case.feeds, num_threads=1)
    three = edgekd_outputs(case.model, case.feeds, num_threads=3)
    assert np.array_equal(one[0], three[0]), first_difference(one[0], three[0])


def test_large_elementwise_split_across_threads_matches_litert():
    case = M.binary(M.SQUARED_DIFFERENCE, (1, 64, 64, 8), (1, 64, 64, 8), 3)
    want = litert_outputs(case.model, case.feeds)
    assert np.array_equal(edgekd_outputs(case.model, case.feeds, num_threads=2)[0], want[0])


def test_kernels_are_named():
    m = edgekd.load(M.transpose_conv((1, 5, 7, 3), 5).model)
    assert "transpose_conv_s8_ref" in m.profile(runs=1)[0]["kernel"]
    assert edgekd.load(M.binary(M.SUB, (4,), (4,)).model).profile(runs=1)[0]["kernel"].startswith("sub_binary_s8")
    assert "batch_matmul" in edgekd.cpu_info()["kernels"]


def test_inspect_lists_none_of_them_as_unsupported():
    from edgekd import _core
    for name, model in M.corpus().items():
        assert _core.unsupported_ops(model) == [], name


@pytest.mark.parametrize("make, pattern", [
    # LOG_SOFTMAX's output must be 16/256, zero point 127 (LiteRT's LogSoftmaxPrepare)
    (lambda: M.Case(M.build_model([M.T((2, 5), scale=0.1), M.T((2, 5), scale=0.1, zero_point=127)],
                                  M.Op(M.LOG_SOFTMAX, [0], [1]), [0], [1]), []),
     r"op 0 \(LOG_SOFTMAX\): LOG_SOFTMAX: output scale must be 16/256"),
    # BATCH_MATMUL depths that disagree name the rhs tensor
    (lambda: M.Case(M.build_model([M.T((2, 3), scale=0.1), M.T((4, 5), scale=0.1), M.T((2, 5), scale=0.1)],
                                  M.Op(M.BATCH_MATMUL, [0, 1], [2]), [0, 1], [2]), []),
     r"op 0 \(BATCH_MATMUL\), tensor 1 't1': depth 4 differs from the lhs's 3"),
    # TRANSPOSE_CONV whose output_shape does not lead back to the input
    (lambda: M.transpose_conv((1, 4, 4, 8), 8, out_hw=(5, 13)),
     r"op 0 \(TRANSPOSE_CONV\), tensor 0 't0': output_shape 5x13 does not give the input's 4x4"),
    # PRELU alpha that would broadcast the output beyond the input
    (lambda: M.binary(M.PRELU, (1, 4, 8), (3, 1, 8)),
     r"op 0 \(PRELU\).*output has shape|op 0 \(PRELU\).*alpha must broadcast"),
    # int32 operands
    (lambda: M.Case(M.build_model([M.T((4,), dtype=M.INT32), M.T((4,), dtype=M.INT32), M.T((4,), dtype=M.INT32)],
                                  M.Op(M.SUB, [0, 1], [2]), [0, 1], [2]), []),
     r"op 0 \(SUB\), tensor 0 't0': input 0 must be int8, is int32"),
])
def test_bad_models_name_the_op_and_tensor(make, pattern):
    case = make()
    with pytest.raises(ValueError, match=pattern) as e:
        edgekd.load(case.model)
    assert "\n" not in str(e.value)
    assert re.search(r"op 0 \(", str(e.value))
