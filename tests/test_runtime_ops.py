"""Every op edgekd runs, one op per model, against LiteRT's builtin kernels over seeded random shapes and
quantization parameters, on every SIMD path available here. Bit-exact: conv, depthwise, FC, ADD, MUL,
pools, MEAN, PAD, CONCAT, RESHAPE, QUANTIZE, DEQUANTIZE, and (the ops kernels reproduce LiteRT's arithmetic,
including its float LUTs) SOFTMAX, LOGISTIC, HARD_SWISH, RELU, RELU6."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")

from edgekd.testing import litert, models  # noqa: E402
from edgekd.tflite.writer import write_tflite  # noqa: E402

from runtime_helpers import available_paths, edgekd_outputs, first_difference, litert_outputs  # noqa: E402

PATHS = available_paths()

# (op, keywords for models.one_op_model) — several shapes / strides / paddings / activations per op.
CASES = [
    ("CONV_2D", dict(shape=(1, 8, 8, 8))),
    ("CONV_2D", dict(shape=(1, 9, 7, 3), out_ch=5, k=3, stride=2, padding="SAME", act="RELU6")),
    ("CONV_2D", dict(shape=(2, 6, 6, 16), out_ch=24, k=1, act="RELU")),
    ("CONV_2D", dict(shape=(1, 11, 10, 4), out_ch=7, k=5, stride=1, padding="VALID", act="RELU_N1_TO_1")),
    ("CONV_2D", dict(shape=(1, 7, 7, 33), out_ch=17, k=3, stride=2, padding="VALID")),
    ("DEPTHWISE_CONV_2D", dict(shape=(1, 8, 8, 8))),
    ("DEPTHWISE_CONV_2D", dict(shape=(1, 13, 11, 19), k=3, stride=2, act="RELU6")),
    ("DEPTHWISE_CONV_2D", dict(shape=(2, 9, 9, 24), k=5, stride=1, act="RELU")),
    ("DEPTHWISE_CONV_2D", dict(shape=(1, 10, 10, 5), k=5, stride=2, padding="VALID")),
    ("DEPTHWISE_CONV_2D", dict(shape=(1, 6, 6, 4), k=3, multiplier=2)),
    ("FULLY_CONNECTED", dict(shape=(1, 64))),
    ("FULLY_CONNECTED", dict(shape=(3, 37), units=19, act="RELU")),
    ("FULLY_CONNECTED", dict(shape=(1, 200), units=1, act="RELU6")),
    ("ADD", dict(shape=(1, 8, 8, 8))),
    ("ADD", dict(shape=(1, 5, 7, 3), act="RELU")),
    ("MUL", dict(shape=(1, 8, 8, 8))),
    ("MUL", dict(shape=(1, 6, 6, 12), b_shape=(1, 1, 1, 12))),
    ("MAX_POOL_2D", dict(shape=(1, 8, 8, 8))),
    ("MAX_POOL_2D", dict(shape=(1, 9, 9, 5), k=3, stride=2, padding="SAME")),
    ("AVERAGE_POOL_2D", dict(shape=(1, 8, 8, 8))),
    ("AVERAGE_POOL_2D", dict(shape=(1, 9, 7, 5), k=3, stride=2, padding="SAME")),
    # Big enough (>= 2048 outputs) that the rows split across threads, with padding rows at both ends.
    ("MAX_POOL_2D", dict(shape=(1, 33, 31, 16), k=3, stride=2, padding="SAME")),
    ("AVERAGE_POOL_2D", dict(shape=(1, 31, 30, 24), k=3, stride=2, padding="SAME")),
    ("MEAN", dict(shape=(1, 8, 8, 8))),
    ("MEAN", dict(shape=(1, 7, 5, 24), keep_dims=True)),
    ("PAD", dict(shape=(1, 8, 8, 8))),
    ("CONCATENATION", dict(shape=(1, 8, 8, 8))),
    ("CONCATENATION", dict(shape=(1, 4, 4, 3), axis=1)),
    ("RESHAPE", dict(shape=(1, 8, 8, 8))),
    ("FLATTEN_CHAIN", dict(shape=(1, 4, 4, 6))),
    ("SOFTMAX", dict(shape=(1, 10))),
    ("SOFTMAX", dict(shape=(2, 3, 33))),
    ("LOGISTIC", dict(shape=(1, 8, 8, 8))),
    ("HARD_SWISH", dict(shape=(1, 8, 8, 8))),
    ("RELU", dict(shape=(1, 8, 8, 8))),
    ("RELU6", dict(shape=(1, 8, 8, 8))),
    ("QUANTIZE", dict(shape=(1, 8, 8, 8))),
    ("QUANTIZE", dict(shape=(1, 3, 5, 7), from_float=True)),
    ("DEQUANTIZE", dict(shape=(1, 8, 8, 8))),
]

SEEDS = (0, 1, 2)


def _case_id(c):
    op, kw = c
    return op + "-" + "-".join(f"{k}{v}" for k, v in kw.items()).replace(" ", "")


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_one_op_matches_litert(case, path):
    op, kw = case
    for seed in SEEDS:
        try:
            graph = models.one_op_model(op, seed=seed, **dict(kw))
        except TypeError as e:  # a keyword the builder does not take: a test bug, not a skip
            raise AssertionError(f"{op} {kw}: {e}")
        model = write_tflite(graph)
        inputs = litert.random_inputs(graph, seed=seed)
        want = litert_outputs(model, inputs)
        got = edgekd_outputs(model, inputs, path=path)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype, f"{op} {kw} seed {seed}: dtype {g.dtype} vs {w.dtype}"
            assert np.array_equal(g, w), f"{op} {kw} seed {seed} path {path}: {first_difference(g, w)}"


@pytest.mark.parametrize("case", CASES[:12] + [c for c in CASES if c[0].endswith("POOL_2D")], ids=_case_id)
def test_thread_count_does_not_change_results(case):
    op, kw = case
    graph = models.one_op_model(op, seed=5, **dict(kw))
    model = write_tflite(graph)
    inputs = litert.random_inputs(graph, seed=5)
    one = edgekd_outputs(model, inputs, num_threads=1)
    two = edgekd_outputs(model, inputs, num_threads=3)
    for a, b in zip(one, two):
        assert np.array_equal(a, b), first_difference(a, b)
