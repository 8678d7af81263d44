"""float32 ops, one op per model (edgekd's writer), against LiteRT's builtin kernels and its XNNPACK delegate,
within 1e-5 of the output's magnitude, on every SIMD path; mixed graphs with QUANTIZE / DEQUANTIZE in the
middle; dtype errors at the Python edges."""
from __future__ import annotations

import numpy as np
import pytest

import edgekd
from edgekd import ir
from edgekd.tflite.writer import write_tflite
from runtime_helpers import available_paths, edgekd_outputs, isa

pytest.importorskip("ai_edge_litert")

RTOL = 1e-5


def litert_both(model: bytes, inputs: list) -> list[list[np.ndarray]]:
    """Outputs of LiteRT's builtin kernels and of its default XNNPACK delegate."""
    from ai_edge_litert.interpreter import Interpreter

    from edgekd.testing import litert
    it = Interpreter(model_content=model)
    it.allocate_tensors()
    return [litert.run(model, inputs), litert.run(it, inputs)]


def assert_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.dtype == np.float32 and got.shape == want.shape, (what, got.dtype, got.shape, want.shape)
    scale = max(float(np.abs(want).max()), 1e-30)
    err = float(np.abs(got.astype(np.float64) - want).max())
    assert err <= RTOL * scale, f"{what}: max |diff| {err} is {err / scale:.2e} of max |LiteRT| {scale}"


def check(g: ir.Graph, seed: int = 0, paths: list[str] | None = None) -> None:
    model = write_tflite(g)
    rng = np.random.default_rng(seed)
    inputs = [rng.standard_normal(g.tensors[i].shape).astype(np.float32) * 2 for i in g.inputs]
    refs = litert_both(model, inputs)
    for path in paths or available_paths():
        got = edgekd_outputs(model, inputs, path)
        for k, want in enumerate(refs[0]):
            for name, ref in zip(("builtin", "XNNPACK"), (want, refs[1][k])):
                assert_close(got[k], ref, f"{g.ops[0].type} on {path} vs LiteRT {name}")


def one_op(op: str, in_shapes: list, out_shape: tuple, consts: dict | None = None, **options) -> ir.Graph:
    """A float32 graph of one op: inputs of in_shapes (None marks the place of a constant from `consts`)."""
    g = ir.Graph(name=op.lower())
    ins = []
    consts = consts or {}
    for k, s in enumerate(in_shapes):
        ins.append(g.add_constant(f"c{k}", consts[k]) if s is None else g.add_tensor(f"x{k}", s, "float32"))
    y = g.add_tensor("y", out_shape, "float32")
    g.add_op(op, ins, [y], **options)
    g.inputs = [i for i, s in zip(ins, in_shapes) if s is not None]
    g.outputs = [y]
    return g


RNG = np.random.default_rng(42)


def w(*shape: int) -> np.ndarray:
    return (RNG.standard_normal(shape) / np.sqrt(np.prod(shape[1:]))).astype(np.float32)


CONVS = [
    # input, filter [O, KH, KW, I], stride, padding, dilation, activation, output
    ((1, 9, 9, 5), (7, 3, 3, 5), 2, "SAME", 1, "RELU6", (1, 5, 5, 7)),
    ((1, 6, 7, 16), (24, 1, 1, 16), 1, "VALID", 1, "NONE", (1, 6, 7, 24)),
    ((2, 8, 8, 3), (17, 3, 3, 3), 1, "SAME", 2, "RELU", (2, 8, 8, 17)),
    ((1, 10, 10, 8), (33, 2, 2, 8), 2, "VALID", 1, "RELU_N1_TO_1", (1, 5, 5, 33)),
]


@pytest.mark.parametrize("case", CONVS, ids=lambda c: f"{c[0]}x{c[1]}s{c[2]}{c[3]}d{c[4]}{c[5]}")
def test_conv2d(case):
    x, f, s, pad, d, act, out = case
    check(one_op("CONV_2D", [x, None, None], out, {1: w(*f), 2: w(f[0])}, padding=pad, stride_w=s, stride_h=s,
                 dilation_w_factor=d, dilation_h_factor=d, fused_activation_function=act))


DWCONVS = [
    ((1, 9, 9, 16), 3, 1, 1, "SAME", 1, "RELU6", (1, 9, 9, 16)),
    ((1, 10, 11, 67), 3, 1, 2, "SAME", 1, "NONE", (1, 5, 6, 67)),
    ((1, 7, 7, 5), 5, 1, 1, "VALID", 1, "RELU", (1, 3, 3, 5)),
    ((1, 6, 6, 3), 3, 2, 1, "SAME", 1, "NONE", (1, 6, 6, 6)),
    ((1, 9, 9, 24), 3, 1, 1, "SAME", 2, "RELU6", (1, 9, 9, 24)),
]


@pytest.mark.parametrize("case", DWCONVS, ids=lambda c: f"{c[0]}k{c[1]}m{c[2]}s{c[3]}{c[4]}d{c[5]}")
def test_depthwise_conv2d(case):
    x, k, m, s, pad, d, act, out = case
    c = x[3] * m
    check(one_op("DEPTHWISE_CONV_2D", [x, None, None], out, {1: w(1, k, k, c), 2: w(c)}, padding=pad, stride_w=s,
                 stride_h=s, depth_multiplier=m, dilation_w_factor=d, dilation_h_factor=d,
                 fused_activation_function=act))


@pytest.mark.parametrize("batch,k,n", [(1, 64, 10), (3, 17, 33), (1, 640, 128)])
def test_fully_connected(batch, k, n):
    check(one_op("FULLY_CONNECTED", [(batch, k), None, None], (batch, n), {1: w(n, k), 2: w(n)},
                 fused_activation_function="RELU"))


@pytest.mark.parametrize("op", ["ADD", "MUL"])
@pytest.mark.parametrize("s1,s2,out", [((1, 8, 8, 16), (1, 8, 8, 16), (1, 8, 8, 16)),
                                       ((1, 5, 6, 7), (1, 1, 1, 7), (1, 5, 6, 7)),
                                       ((1, 1, 1, 7), (1, 5, 6, 7), (1, 5, 6, 7)), ((4, 3), (3,), (4, 3))])
def test_binary(op, s1, s2, out):
    check(one_op(op, [s1, s2], out, fused_activation_function="RELU6" if op == "ADD" else "NONE"))


@pytest.mark.parametrize("op", ["RELU", "RELU6", "RELU_N1_TO_1", "LOGISTIC", "TANH", "HARD_SWISH"])
def test_activation(op):
    check(one_op(op, [(1, 7, 9, 13)], (1, 7, 9, 13)))


@pytest.mark.parametrize("shape,beta", [((1, 10), 1.0), ((2, 3, 1001), 0.5)])
def test_softmax(shape, beta):
    check(one_op("SOFTMAX", [shape], shape, beta=beta))


@pytest.mark.parametrize("op", ["MAX_POOL_2D", "AVERAGE_POOL_2D"])
@pytest.mark.parametrize("f,s,pad,out", [(3, 2, "SAME", (1, 5, 5, 6)), (2, 2, "VALID", (1, 4, 4, 6))])
def test_pool(op, f, s, pad, out):
    check(one_op(op, [(1, 9, 9, 6)], out, filter_width=f, filter_height=f, stride_w=s, stride_h=s, padding=pad,
                 fused_activation_function="RELU"))


@pytest.mark.parametrize("axes,keep,out", [([1, 2], True, (1, 1, 1, 12)), ([1, 2], False, (1, 12)),
                                           ([3], False, (1, 5, 6)), ([0, 3], True, (1, 5, 6, 1))])
def test_mean(axes, keep, out):
    check(one_op("MEAN", [(1, 5, 6, 12), None], out, {1: np.array(axes, np.int32)}, keep_dims=keep))


def test_pad():
    check(one_op("PAD", [(1, 4, 5, 3), None], (1, 5, 8, 3), {1: np.array([[0, 0], [1, 0], [2, 1], [0, 0]], np.int32)}))


@pytest.mark.parametrize("axis", [3, 1, -1])
def test_concatenation(axis):
    shapes = [(1, 4, 5, 3), (1, 4, 5, 8)] if axis in (3, -1) else [(1, 2, 5, 3), (1, 6, 5, 3)]
    out = list(shapes[0])
    out[axis] = sum(s[axis] for s in shapes)
    check(one_op("CONCATENATION", shapes, tuple(out), axis=axis))


def test_reshape():
    check(one_op("RESHAPE", [(1, 4, 5, 3), None], (1, 60), {1: np.array([1, 60], np.int32)}))


def mixed_graph() -> ir.Graph:
    """float ADD -> QUANTIZE -> int8 MAX_POOL -> DEQUANTIZE -> float CONV_2D -> SOFTMAX."""
    g = ir.Graph(name="mixed")
    x = g.add_tensor("x", (1, 8, 8, 4), "float32")
    a = g.add_tensor("a", (1, 8, 8, 4), "float32")
    g.add_op("ADD", [x, g.add_constant("bias", w(1, 1, 1, 4))], [a])
    q = g.add_activation("q", (1, 8, 8, 4), 0.03, -3)
    g.add_op("QUANTIZE", [a], [q])
    p = g.add_activation("p", (1, 4, 4, 4), 0.03, -3)
    g.add_op("MAX_POOL_2D", [q], [p], filter_width=2, filter_height=2, stride_w=2, stride_h=2, padding="VALID")
    d = g.add_tensor("d", (1, 4, 4, 4), "float32")
    g.add_op("DEQUANTIZE", [p], [d])
    c = g.add_tensor("c", (1, 4, 4, 10), "float32")
    g.add_op("CONV_2D", [d, g.add_constant("w", w(10, 3, 3, 4)), g.add_constant("b", w(10))], [c], padding="SAME")
    y = g.add_tensor("y", (1, 4, 4, 10), "float32")
    g.add_op("SOFTMAX", [c], [y])
    g.inputs, g.outputs = [x], [y]
    return g


def test_mixed_graph_quantize_and_dequantize_in_the_middle():
    g = mixed_graph()
    check(g)
    with isa("ref"):
        kernels = edgekd.load(write_tflite(g)).info()["kernels"]
    assert kernels["quantize"] == ["dequantize_s8_f32_ref", "quantize_f32_s8_ref"], kernels
    assert kernels["gemm_f32"] == ["gemm_f32_ref"]


def test_two_threads_match_one():
    g = one_op("CONV_2D", [(1, 24, 24, 16), None, None], (1, 24, 24, 32), {1: w(32, 3, 3, 16), 2: w(32)})
    model = write_tflite(g)
    x = np.random.default_rng(1).standard_normal((1, 24, 24, 16)).astype(np.float32)
    one = edgekd.load(model)(x)
    assert np.array_equal(edgekd.load(model, num_threads=2)(x), one)


def test_float_model_takes_and_returns_float32_and_names_the_tensor_on_other_dtypes():
    g = one_op("RELU", [(1, 4)], (1, 4))
    m = edgekd.load(write_tflite(g))
    x = np.array([[-1.0, 0.5, 2.0, -3.0]], np.float32)
    y = m(x)
    assert y.dtype == np.float32 and np.array_equal(y, np.maximum(x, 0))
    with pytest.raises(ValueError, match="'x0'.*float32"):
        m(x.astype(np.int8))
    with pytest.raises(ValueError, match="'x0'.*float32.*float64"):
        m(x.astype(np.float64))
    it = edgekd.Interpreter(model_content=write_tflite(g))
    it.allocate_tensors()
    d = it.get_input_details()[0]
    assert d["dtype"] == np.float32
    with pytest.raises(ValueError, match="x0"):
        it.set_tensor(d["index"], x.astype(np.int8))
    it.set_tensor(d["index"], x)
    it.invoke()
    assert np.array_equal(it.get_tensor(it.get_output_details()[0]["index"]), np.maximum(x, 0))


def test_bad_float_ops_name_the_op_and_tensor():
    g = one_op("CONV_2D", [(1, 5, 5, 3), (2, 3, 3, 3)], (1, 5, 5, 2), padding="SAME")  # filter not a constant
    with pytest.raises(ValueError, match=r"op 0 \(CONV_2D\).*'x1'.*filter must be a constant"):
        edgekd.load(write_tflite(g))
    g = one_op("CONV_2D", [(1, 5, 5, 3), None], (1, 5, 5, 2), {1: w(2, 3, 3, 3).astype(np.float16)})
    with pytest.raises(ValueError, match=r"op 0 \(CONV_2D\).*filter must be float32, is float16"):
        edgekd.load(write_tflite(g))
    g = one_op("ADD", [(1, 5, 5, 3), (1, 4, 5, 3)], (1, 5, 5, 3))
    with pytest.raises(ValueError, match=r"op 0 \(ADD\).*broadcast"):
        edgekd.load(write_tflite(g))
