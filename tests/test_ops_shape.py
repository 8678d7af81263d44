"""The shape and reduction ops (TRANSPOSE, SLICE, STRIDED_SLICE, SPLIT, SPLIT_V, GATHER, DEPTH_TO_SPACE,
SPACE_TO_DEPTH, EXPAND_DIMS, CONCATENATION on any axis, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, ARG_MAX,
ARG_MIN, SUM, REDUCE_MAX), one op per model, against LiteRT's builtin kernels, bit for bit, on every SIMD
path available here. Models are written by tests/litert_oneop.py (independent of edgekd's writer). The
output shapes written into each file are the ones LiteRT computes for it (a first LiteRT run resizes
them), so edgekd's own shape rules are checked against LiteRT's too."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")
pytest.importorskip("flatbuffers")

import edgekd  # noqa: E402
from edgekd import _core  # noqa: E402
from edgekd.testing import litert  # noqa: E402

import litert_oneop as lo  # noqa: E402
from runtime_helpers import available_paths, edgekd_outputs, first_difference  # noqa: E402

PATHS = available_paths()
T, Op = lo.T, lo.Op


def act(shape, scale=0.05, zp=3, dtype=lo.INT8) -> T:
    return T(tuple(shape), dtype, scale, zp)


def const(values, dtype=lo.INT32) -> T:
    arr = np.asarray(values, dtype=lo._NP[dtype])
    return T(arr.shape, dtype, data=arr)


def with_litert_shapes(tensors: list[T], op: Op, feeds: list[np.ndarray]) -> bytes:
    """The model with its output shapes set to what LiteRT computes for it."""
    outs = litert.run(lo.one_op_model(tensors, op), feeds)
    for t, y in zip(op.outputs, outs):
        tensors[t] = T(y.shape, tensors[t].dtype, tensors[t].scale, tensors[t].zero_point)
    return lo.one_op_model(tensors, op)


def feeds_for(tensors: list[T], op: Op, rng) -> list[np.ndarray]:
    out = []
    for i in op.inputs:
        t = tensors[i]
        if i < 0 or t.data is not None:
            continue
        info = np.iinfo(lo._NP[t.dtype])
        out.append(rng.integers(info.min, info.max, size=t.shape, endpoint=True).astype(lo._NP[t.dtype]))
    return out


def check(tensors: list[T], op: Op, seed: int = 0, feeds: list[np.ndarray] | None = None) -> bytes:
    rng = np.random.default_rng(seed)
    feeds = feeds_for(tensors, op, rng) if feeds is None else feeds
    model = with_litert_shapes(tensors, op, feeds)
    want = litert.run(model, feeds)
    assert _core.unsupported_ops(model) == []
    for path in PATHS:
        got = edgekd_outputs(model, feeds, path=path)
        for g, w in zip(got, want):
            assert g.dtype == w.dtype and g.shape == w.shape, (path, g.dtype, w.dtype, g.shape, w.shape)
            assert np.array_equal(g, w), f"path {path}: {first_difference(g, w)}"
    return model


def unary(code, in_shape, consts, opt_type=0, options=None, out_dtype=lo.INT8, in_dtype=lo.INT8, n_out=1,
          out_shape=(1,)):
    """input, then constant operands, then outputs (shapes filled in from LiteRT, out_shape until then)."""
    tensors = [act(in_shape, dtype=in_dtype)] + [const(c) if not isinstance(c, T) else c for c in consts]
    outs = list(range(len(tensors), len(tensors) + n_out))
    tensors += [act(out_shape, dtype=out_dtype) if out_dtype in (lo.INT8, lo.INT16) else T(out_shape, out_dtype)
                for _ in outs]
    return tensors, Op(code, list(range(len(tensors) - n_out)), outs, opt_type, options or {})


# ------------------------------------------------------------------------------------------------
# TRANSPOSE

TRANSPOSES = [((1, 3, 8, 8), (0, 2, 3, 1)), ((1, 8, 8, 3), (0, 3, 1, 2)), ((5, 7), (1, 0)), ((9,), (0,)),
              ((2, 3, 4), (2, 0, 1)), ((1, 16, 12, 24), (0, 2, 1, 3)), ((2, 3, 1, 4, 5), (4, 2, 0, 3, 1)),
              ((2, 1, 3, 2, 2, 3), (5, 3, 1, 0, 4, 2)), ((2, 3, 4), (0, -1, 1))]


@pytest.mark.parametrize("shape,perm", TRANSPOSES, ids=str)
def test_transpose(shape, perm):
    check(*unary(lo.TRANSPOSE, shape, [perm], lo.OPT_TRANSPOSE))


def test_transpose_of_a_constant_is_folded_at_load():
    """TRANSPOSE(constant) -> CONCATENATION with the input: the transpose is computed at load."""
    rng = np.random.default_rng(3)
    data = rng.integers(-128, 128, size=(4, 3, 2, 5)).astype(np.int8)
    tensors = [T(data.shape, lo.INT8, 0.1, 0, data=data), const((3, 0, 2, 1)), act((5, 4, 2, 3), 0.1, 0),
               act((2, 4, 2, 3), 0.1, 0), act((7, 4, 2, 3), 0.1, 0)]
    ops = [Op(lo.TRANSPOSE, [0, 1], [2], lo.OPT_TRANSPOSE), Op(lo.CONCATENATION, [2, 3], [4], lo.OPT_CONCAT)]
    model = lo.build_model(tensors, ops, [3], [4])
    x = rng.integers(-128, 128, size=(2, 4, 2, 3)).astype(np.int8)
    want = litert.run(model, [x])[0]
    for path in PATHS:
        assert np.array_equal(edgekd_outputs(model, [x], path=path)[0], want)
    info = edgekd.load(model).info()
    assert info["num_folded_ops"] == 1 and info["num_ops"] == 1


# ------------------------------------------------------------------------------------------------
# SLICE, STRIDED_SLICE


@pytest.mark.parametrize("seed", range(8))
def test_slice(seed):
    rng = np.random.default_rng(seed)
    rank = 1 + seed % 5
    shape = tuple(int(d) for d in rng.integers(1, 7, size=rank))
    begin = [int(rng.integers(0, d)) for d in shape]
    size = [int(rng.integers(1, d - b + 1)) if rng.random() < 0.7 else -1 for d, b in zip(shape, begin)]
    out = tuple(d - b if n == -1 else n for d, b, n in zip(shape, begin, size))  # LiteRT checks the file's shape
    check(*unary(lo.SLICE, shape, [begin, size], lo.OPT_SLICE, out_shape=out), seed=seed)


# (shape, begin, end, strides, masks: begin, end, ellipsis, new_axis, shrink, offset)
STRIDED = [
    ((1, 8, 8, 16), (0, 1, 0, 0), (1, 7, 8, 16), (1, 2, 1, 3), (0, 0, 0, 0, 0, 0)),
    ((1, 8, 8, 16), (0, 0, 0, 0), (1, 8, 8, 8), (1, 1, 1, 1), (0, 0, 0, 0, 0, 0)),
    ((2, 6, 5), (1, -1, 4), (0, -7, -6), (-1, -1, -2), (0, 0, 0, 0, 0, 0)),
    ((2, 6, 5), (0, 2, 0), (0, 5, 0), (1, 1, 1), (0b101, 0b101, 0, 0, 0, 0)),
    ((3, 6, 5), (1, 0, 0), (2, 6, 5), (1, 1, 1), (0, 0, 0, 0, 0b001, 0)),
    ((3, 6, 5), (0, 3, 0), (3, 4, 5), (1, 1, 1), (0b101, 0b101, 0, 0, 0b010, 0)),
    ((2, 3, 4, 5), (0, 1), (0, 4), (1, 2), (0, 0, 0b01, 0, 0, 0)),  # [..., 1:4:2]
    ((4, 5), (0, 0, 1), (0, 0, 4), (1, 1, 1), (0b011, 0b011, 0, 0b010, 0, 0)),  # [:, newaxis, 1:4]
    ((6, 7), (1, 2), (3, 4), (1, 1), (0, 0, 0, 0, 0, 1)),  # offset: end holds sizes
    ((1, 10, 10, 3), (0, 9, 9, 0), (1, -11, -11, 3), (1, -3, -2, 1), (0, 0, 0, 0, 0, 0)),
    ((2, 3, 2, 2, 3), (1, 0, 0, 1, 2), (2, 3, 2, 2, 0), (1, 2, 1, 1, -1), (0, 0, 0, 0, 0b00001, 0)),
]


@pytest.mark.parametrize("case", STRIDED, ids=lambda c: str(c[0]) + str(c[4]))
def test_strided_slice(case):
    shape, begin, end, strides, (bm, em, el, na, sh, off) = case
    options = {0: ("i32", bm), 1: ("i32", em), 2: ("i32", el), 3: ("i32", na), 4: ("i32", sh), 5: ("bool", off)}
    check(*unary(lo.STRIDED_SLICE, shape, [begin, end, strides], lo.OPT_STRIDED_SLICE, options))


# ------------------------------------------------------------------------------------------------
# SPLIT, SPLIT_V


@pytest.mark.parametrize("shape,axis,n", [((1, 8, 8, 12), 3, 3), ((2, 6, 4), 1, 2), ((6,), 0, 6),
                                          ((1, 4, 6, 2), -3, 4)], ids=str)
def test_split(shape, axis, n):
    tensors = [const([axis]), act(shape)] + [act((1,)) for _ in range(n)]
    op = Op(lo.SPLIT, [0, 1], list(range(2, 2 + n)), lo.OPT_SPLIT, {0: ("i32", n)})
    check(tensors, op)


@pytest.mark.parametrize("shape,sizes,axis", [((1, 8, 8, 12), (4, 2, 6), 3), ((2, 7, 4), (3, -1), 1),
                                              ((5, 3), (1, 1, 3), 0), ((2, 3, 10), (-1, 2, 2), -1)], ids=str)
def test_split_v(shape, sizes, axis):
    n = len(sizes)
    tensors = [act(shape), const(sizes), const([axis])] + [act((1,)) for _ in range(n)]
    op = Op(lo.SPLIT_V, [0, 1, 2], list(range(3, 3 + n)), lo.OPT_SPLIT_V, {0: ("i32", n)})
    check(tensors, op)


# ------------------------------------------------------------------------------------------------
# GATHER


@pytest.mark.parametrize("shape,idx_shape,axis,batch_dims,idx_type", [
    ((10, 16), (5,), 0, 0, lo.INT32),          # embedding lookup
    ((1, 7, 5, 3), (2, 3), 2, 0, lo.INT64),
    ((4, 6, 3), (4, 2), 1, 1, lo.INT32),       # batch_dims
    ((3, 9), (), -1, 0, lo.INT32),             # a scalar index
], ids=str)
def test_gather(shape, idx_shape, axis, batch_dims, idx_type):
    rng = np.random.default_rng(1)
    ax = axis % len(shape)
    idx = rng.integers(0, shape[ax], size=idx_shape).astype(lo._NP[idx_type])
    options = {0: ("i32", axis), 1: ("i32", batch_dims)}
    op = Op(lo.GATHER, [0, 1], [2], lo.OPT_GATHER, options)
    params = rng.integers(-128, 128, size=shape).astype(np.int8)
    if idx_shape:  # runtime indices, into an activation and into a constant table (embedding lookup)
        check([act(shape), T(idx.shape, idx_type), act((1,))], op, feeds=[params, idx])
        check([T(shape, lo.INT8, 0.05, 3, data=params), T(idx.shape, idx_type), act((1,))], op, feeds=[idx])
    check([act(shape), T(idx.shape, idx_type, data=idx), act((1,))], op, feeds=[params])  # constant indices


def _gather_model(index_data=None):
    idx = T((3,), lo.INT32, data=None if index_data is None else np.asarray(index_data, np.int32))
    tensors = [act((6, 4)), idx, act((3, 4))]
    return lo.one_op_model(tensors, Op(lo.GATHER, [0, 1], [2], lo.OPT_GATHER, {0: ("i32", 0)}))


def test_gather_index_out_of_range_at_run_time_raises_naming_the_op():
    model = _gather_model()
    params = np.zeros((6, 4), np.int8)
    with pytest.raises(RuntimeError):  # LiteRT refuses too
        litert.run(model, [params, np.array([0, 6, 1], np.int32)])
    for path in PATHS:
        with pytest.raises(ValueError, match=r"GATHER.*index 6 at position 1 .*out of range \[0, 6\)"):
            edgekd_outputs(model, [params, np.array([0, 6, 1], np.int32)], path=path)
        with pytest.raises(ValueError, match=r"index -1 at position 2"):
            edgekd_outputs(model, [params, np.array([0, 1, -1], np.int32)], path=path)


def test_gather_constant_index_out_of_range_fails_at_load():
    with pytest.raises(ValueError, match=r"GATHER.*tensor 1 't1'.*index 9 at position 2 is out of range"):
        edgekd.load(_gather_model([0, 1, 9]))


# ------------------------------------------------------------------------------------------------
# DEPTH_TO_SPACE, SPACE_TO_DEPTH, EXPAND_DIMS, CONCATENATION


@pytest.mark.parametrize("shape,bs", [((1, 4, 4, 8), 2), ((2, 3, 5, 18), 3), ((1, 1, 1, 4), 2)], ids=str)
def test_depth_to_space(shape, bs):
    check(*unary(lo.DEPTH_TO_SPACE, shape, [], lo.OPT_DEPTH_TO_SPACE, {0: ("i32", bs)}))


@pytest.mark.parametrize("shape,bs", [((1, 8, 8, 3), 2), ((2, 6, 9, 5), 3), ((1, 2, 2, 1), 2)], ids=str)
def test_space_to_depth(shape, bs):
    check(*unary(lo.SPACE_TO_DEPTH, shape, [], lo.OPT_SPACE_TO_DEPTH, {0: ("i32", bs)}))


@pytest.mark.parametrize("shape,axis", [((3, 4), 0), ((3, 4), -1), ((1, 5, 5, 2), 2), ((7,), 1)], ids=str)
def test_expand_dims(shape, axis):
    check(*unary(lo.EXPAND_DIMS, shape, [[axis]], lo.OPT_EXPAND_DIMS))


@pytest.mark.parametrize("shapes,axis", [(((2, 3, 4, 5, 2), (2, 3, 1, 5, 2)), 2),
                                         (((1, 2, 3, 2, 2, 3), (1, 2, 3, 2, 2, 1)), -1),
                                         (((2, 3), (4, 3), (1, 3)), 0), (((1, 4, 4, 3), (1, 4, 4, 5)), -1)],
                         ids=str)
def test_concatenation_any_axis(shapes, axis):
    tensors = [act(s) for s in shapes] + [act((1,))]
    n = len(shapes)
    check(tensors, Op(lo.CONCATENATION, list(range(n)), [n], lo.OPT_CONCAT, {0: ("i32", axis)}))


# ------------------------------------------------------------------------------------------------
# RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR

RESIZES = [((1, 4, 4, 8), (8, 8)), ((1, 5, 7, 3), (9, 13)), ((1, 10, 10, 4), (3, 4)), ((2, 1, 3, 16), (5, 6)),
           ((1, 8, 8, 24), (16, 16)), ((1, 6, 6, 5), (6, 6)), ((1, 3, 5, 2), (1, 1))]
FLAGS = [(False, False), (True, False), (False, True)]


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: f"align{int(f[0])}-half{int(f[1])}")
@pytest.mark.parametrize("shape,size", RESIZES, ids=str)
def test_resize_bilinear(shape, size, flags):
    opts = {2: ("bool", flags[0]), 3: ("bool", flags[1])}
    check(*unary(lo.RESIZE_BILINEAR, shape, [size], lo.OPT_RESIZE_BILINEAR, opts))


@pytest.mark.parametrize("flags", FLAGS, ids=lambda f: f"align{int(f[0])}-half{int(f[1])}")
@pytest.mark.parametrize("shape,size", RESIZES, ids=str)
def test_resize_nearest_neighbor(shape, size, flags):
    opts = {0: ("bool", flags[0]), 1: ("bool", flags[1])}
    check(*unary(lo.RESIZE_NEAREST_NEIGHBOR, shape, [size], lo.OPT_RESIZE_NEAREST, opts))


# ------------------------------------------------------------------------------------------------
# ARG_MAX, ARG_MIN, SUM, REDUCE_MAX


@pytest.mark.parametrize("code,opt", [(lo.ARG_MAX, lo.OPT_ARG_MAX), (lo.ARG_MIN, lo.OPT_ARG_MIN)], ids=["max", "min"])
@pytest.mark.parametrize("shape,axis,out_type", [((1, 10), 1, lo.INT32), ((2, 40), -1, lo.INT64),
                                                 ((1, 4, 4, 21), 3, lo.INT32), ((3, 5, 6), 1, lo.INT64),
                                                 ((7, 2), 0, lo.INT32)], ids=str)
def test_arg_min_max(code, opt, shape, axis, out_type):
    rng = np.random.default_rng(2)
    x = rng.integers(-3, 4, size=shape).astype(np.int8)  # a narrow range: ties everywhere
    tensors, op = unary(code, shape, [[axis]], opt, {0: ("i8", out_type)}, out_dtype=out_type)
    check(tensors, op, feeds=[x])


REDUCES = [((1, 4, 4, 8), (1, 2), True), ((1, 4, 4, 8), (1, 2), False), ((2, 3, 5), (-1,), False),
           ((2, 3, 5), (0, 2), True), ((3, 7), (0, 1), False), ((2, 3, 4, 5, 2), (1, 3), False),
           ((4, 6), (1, -1), True)]


@pytest.mark.parametrize("shape,axes,keep", REDUCES, ids=str)
@pytest.mark.parametrize("out_q", [(0.05, 3), (0.4, -20), (0.013, 100)], ids=str)
def test_sum(shape, axes, keep, out_q):
    tensors, op = unary(lo.SUM, shape, [list(axes)], lo.OPT_REDUCER, {0: ("bool", keep)})
    tensors[-1] = act((1,), *out_q)
    check(tensors, op)


@pytest.mark.parametrize("shape,axes,keep", REDUCES, ids=str)
def test_reduce_max(shape, axes, keep):
    check(*unary(lo.REDUCE_MAX, shape, [list(axes)], lo.OPT_REDUCER, {0: ("bool", keep)}))


# ------------------------------------------------------------------------------------------------
# Bad models: one clear error naming the op and the tensor.

BAD = [
    (lo.TRANSPOSE, (2, 3, 4), [(0, 0, 1)], lo.OPT_TRANSPOSE, {}, r"TRANSPOSE.*'t1'.*not a permutation"),
    (lo.TRANSPOSE, (2, 3), [(0, 2)], lo.OPT_TRANSPOSE, {}, r"TRANSPOSE.*'t1'.*perm entry 2 is out of range"),
    (lo.SLICE, (4, 4), [(1, 1), (4, 2)], lo.OPT_SLICE, {}, r"SLICE.*'t2'.*size 4 from begin 1 does not fit"),
    (lo.SLICE, (4, 4), [(1, 1), (-2, 2)], lo.OPT_SLICE, {}, r"SLICE.*'t2'.*size -2 from begin 1 does not fit"),
    (lo.EXPAND_DIMS, (3, 4), [[4]], lo.OPT_EXPAND_DIMS, {}, r"EXPAND_DIMS.*'t1'.*axis 4 is out of range"),
    (lo.SUM, (3, 4), [[2]], lo.OPT_REDUCER, {}, r"SUM.*axis 2 is out of range for rank 2"),
    (lo.ARG_MAX, (3, 4), [[-3]], lo.OPT_ARG_MAX, {0: ("i8", lo.INT32)}, r"ARG_MAX.*'t1'.*axis -3 is out of range"),
    (lo.DEPTH_TO_SPACE, (1, 2, 2, 6), [], lo.OPT_DEPTH_TO_SPACE, {0: ("i32", 2)}, r"DEPTH_TO_SPACE.*'t0'.*multiple"),
    (lo.RESIZE_BILINEAR, (1, 2, 2, 1), [(4, 4)], lo.OPT_RESIZE_BILINEAR, {2: ("bool", 1), 3: ("bool", 1)},
     r"RESIZE_BILINEAR.*align_corners and half_pixel_centers"),
]


@pytest.mark.parametrize("code,shape,consts,opt,options,message", BAD, ids=lambda x: str(x)[:20])
def test_bad_operands_fail_with_one_clear_error(code, shape, consts, opt, options, message):
    tensors, op = unary(code, shape, consts, opt, options,
                        out_dtype=lo.INT32 if code == lo.ARG_MAX else lo.INT8)
    with pytest.raises(ValueError, match=message):
        edgekd.load(lo.one_op_model(tensors, op))


def test_split_axis_out_of_range_names_the_axis_tensor():
    tensors = [const([3]), act((2, 4, 6))] + [act((2, 4, 3)) for _ in range(2)]
    op = Op(lo.SPLIT, [0, 1], [2, 3], lo.OPT_SPLIT, {0: ("i32", 2)})
    with pytest.raises(ValueError, match=r"SPLIT.*tensor 0 't0'.*axis 3 is out of range for rank 3"):
        edgekd.load(lo.one_op_model(tensors, op))


# ------------------------------------------------------------------------------------------------
# The fuzzer's seed models (scripts/fuzz_model.sh): each loads, runs every op, and equals LiteRT.


def test_fuzz_seed_models_load_and_match_litert():
    import shape_op_models

    seeds = shape_op_models.models()
    assert len(seeds) == 16
    rng = np.random.default_rng(7)
    for name, model in seeds.items():
        m = edgekd.load(model)
        assert m.info()["num_ops"] == 1, name
        feeds = []
        for d in m.input_details:
            if d["dtype"] == np.int8:
                feeds.append(rng.integers(-128, 128, size=d["shape"]).astype(np.int8))
            else:  # GATHER's indices
                feeds.append(np.array([4, 0, 2, 2], np.int32))
        want = litert.run(model, feeds)
        for path in PATHS:
            for g, w in zip(edgekd_outputs(model, feeds, path=path), want):
                assert np.array_equal(g, w), (name, path, first_difference(g, w))
