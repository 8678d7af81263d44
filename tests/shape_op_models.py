"""One small model per shape / reduction op the runtime runs (TRANSPOSE, SLICE, STRIDED_SLICE, SPLIT,
SPLIT_V, GATHER, DEPTH_TO_SPACE, SPACE_TO_DEPTH, EXPAND_DIMS, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR,
ARG_MAX, ARG_MIN, SUM, REDUCE_MAX, a rank-5 CONCATENATION), written by tests/litert_oneop.py with their
output shapes. scripts/fuzz_model.sh seeds the fuzzer's corpus with them; tests/test_ops_shape.py checks
that each loads in edgekd and equals LiteRT."""
from __future__ import annotations

import numpy as np

import litert_oneop as lo

T, Op = lo.T, lo.Op


def _q(shape, dtype=lo.INT8) -> T:
    return T(tuple(shape), dtype, 0.05, 3) if dtype == lo.INT8 else T(tuple(shape), dtype)


def _c(values, dtype=lo.INT32) -> T:
    arr = np.asarray(values, dtype=lo._NP[dtype])
    return T(arr.shape, dtype, data=arr)


def _one(code, opt, in_shape, consts, out_shapes, options=None, out_dtype=lo.INT8, first=None):
    """Input (or `first`), constant operands, outputs."""
    tensors = [first or _q(in_shape)] + [_c(c) for c in consts]
    n_in = len(tensors)
    tensors += [_q(s, out_dtype) for s in out_shapes]
    return lo.one_op_model(tensors, Op(code, list(range(n_in)), list(range(n_in, len(tensors))), opt,
                                       options or {}))


def models() -> dict[str, bytes]:
    split = [_c([3]), _q((1, 4, 4, 6))] + [_q((1, 4, 4, 2)) for _ in range(3)]
    ss = {0: ("i32", 0b1), 1: ("i32", 0b1), 4: ("i32", 0b100)}
    return {
        "transpose": _one(lo.TRANSPOSE, lo.OPT_TRANSPOSE, (1, 3, 4, 5), [(0, 2, 3, 1)], [(1, 4, 5, 3)]),
        "slice": _one(lo.SLICE, lo.OPT_SLICE, (2, 6, 5), [(1, 1, 0), (1, -1, 3)], [(1, 5, 3)]),
        "strided_slice": _one(lo.STRIDED_SLICE, lo.OPT_STRIDED_SLICE, (2, 6, 5), [(0, 5, 1), (2, -7, 2), (1, -2, 1)],
                              [(2, 3)], ss),
        "split": lo.one_op_model(split, Op(lo.SPLIT, [0, 1], [2, 3, 4], lo.OPT_SPLIT, {0: ("i32", 3)})),
        "split_v": _one(lo.SPLIT_V, lo.OPT_SPLIT_V, (2, 7), [(2, -1), (1,)], [(2, 2), (2, 5)], {0: ("i32", 2)}),
        "gather": _gather(),
        "depth_to_space": _one(lo.DEPTH_TO_SPACE, lo.OPT_DEPTH_TO_SPACE, (1, 2, 3, 8), [], [(1, 4, 6, 2)],
                               {0: ("i32", 2)}),
        "space_to_depth": _one(lo.SPACE_TO_DEPTH, lo.OPT_SPACE_TO_DEPTH, (1, 4, 6, 2), [], [(1, 2, 3, 8)],
                               {0: ("i32", 2)}),
        "expand_dims": _one(lo.EXPAND_DIMS, lo.OPT_EXPAND_DIMS, (3, 4), [[1]], [(3, 1, 4)]),
        "resize_bilinear": _one(lo.RESIZE_BILINEAR, lo.OPT_RESIZE_BILINEAR, (1, 3, 4, 2), [(5, 7)], [(1, 5, 7, 2)],
                                {3: ("bool", True)}),
        "resize_nearest_neighbor": _one(lo.RESIZE_NEAREST_NEIGHBOR, lo.OPT_RESIZE_NEAREST, (1, 3, 4, 2), [(6, 8)],
                                        [(1, 6, 8, 2)]),
        "arg_max": _one(lo.ARG_MAX, lo.OPT_ARG_MAX, (2, 10), [[1]], [(2,)], {0: ("i8", lo.INT64)}, lo.INT64),
        "arg_min": _one(lo.ARG_MIN, lo.OPT_ARG_MIN, (3, 4, 5), [[1]], [(3, 5)], {0: ("i8", lo.INT32)}, lo.INT32),
        "sum": _one(lo.SUM, lo.OPT_REDUCER, (1, 4, 4, 8), [(1, 2)], [(1, 1, 1, 8)], {0: ("bool", True)}),
        "reduce_max": _one(lo.REDUCE_MAX, lo.OPT_REDUCER, (2, 3, 5), [(0, 2)], [(3,)]),
        "concatenation_rank5": lo.one_op_model([_q((1, 2, 3, 2, 2)), _q((1, 2, 1, 2, 2)), _q((1, 2, 4, 2, 2))],
                                               Op(lo.CONCATENATION, [0, 1], [2], lo.OPT_CONCAT, {0: ("i32", 2)})),
    }


def _gather() -> bytes:
    """An embedding lookup: a constant table, runtime int32 indices."""
    table = np.arange(-60, 60, 8, dtype=np.int8).reshape(5, 3)
    tensors = [T((5, 3), lo.INT8, 0.05, 3, data=table), _q((4,), lo.INT32), _q((4, 3))]
    return lo.one_op_model(tensors, Op(lo.GATHER, [0, 1], [2], lo.OPT_GATHER, {0: ("i32", 0)}))
