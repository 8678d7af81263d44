"""Stateful models against LiteRT's builtin kernels, on every SIMD path: the integer
UNIDIRECTIONAL_SEQUENCE_LSTM (one-op models over CIFG, peephole, layer norm, projection, clipping, time
major, batches; and TensorFlow-converter LSTMs from tests/data/state) and int8 SVDF. Each compares several
consecutive invocations (state carried), then invocations after reset_state / reset_all_variables.
Bit-exact."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert")

import edgekd  # noqa: E402
from edgekd.testing import litert  # noqa: E402

import litert_oneop as lo  # noqa: E402
from runtime_helpers import available_paths, first_difference, isa  # noqa: E402

PATHS = available_paths()
STATE_DATA = Path(__file__).parent / "data" / "state"
UNIDIRECTIONAL_SEQUENCE_LSTM, SVDF = 44, 27
OPT_SVDF, OPT_LSTM = 6, 71


def lstm_model(seed: int, batch: int = 1, steps: int = 5, n_input: int = 7, n_cell: int = 9, n_output: int | None = None,
               cifg: bool = False, peephole: bool = False, layer_norm: bool = False, time_major: bool = False,
               cell_clip: float = 0.0, proj_clip: float = 0.0, cell_log2: int = -11) -> bytes:
    """A one-op integer LSTM with random weights; a projection when n_output differs from n_cell."""
    rng = np.random.default_rng(seed)
    n_output = n_cell if n_output is None else n_output
    projection = n_output != n_cell
    t: list[lo.T] = []

    def add(shape, dtype=lo.INT8, scale=None, zp=0, data=None, variable=False) -> int:
        t.append(lo.T(tuple(shape), dtype, scale, zp, data, variable=variable))
        return len(t) - 1

    def weights(rows, cols):
        return add((rows, cols), lo.INT8, float(rng.uniform(0.005, 0.05)), 0,
                   rng.integers(-127, 128, (rows, cols), dtype=np.int8))

    def vec16(n):
        return add((n,), lo.INT16, float(rng.uniform(1e-4, 1e-3)), 0, rng.integers(-20000, 20000, n).astype(np.int16))

    def bias(n):
        return add((n,), lo.INT32, 1e-5, 0, rng.integers(-30000, 30000, n).astype(np.int32))

    seq = (steps, batch, n_input) if time_major else (batch, steps, n_input)
    state_scale, state_zp = float(rng.uniform(0.004, 0.02)), int(rng.integers(-20, 20))
    x = add(seq, lo.INT8, float(rng.uniform(0.005, 0.03)), int(rng.integers(-30, 30)))
    ins = [x]
    ins += [-1 if cifg else weights(n_cell, n_input)] + [weights(n_cell, n_input) for _ in range(3)]
    ins += [-1 if cifg else weights(n_cell, n_output)] + [weights(n_cell, n_output) for _ in range(3)]
    ins += [-1 if (cifg or not peephole) else vec16(n_cell)] + [vec16(n_cell) if peephole else -1 for _ in range(2)]
    ins += [-1 if cifg else bias(n_cell)] + [bias(n_cell) for _ in range(3)]
    ins += [weights(n_output, n_cell) if projection else -1, bias(n_output) if projection else -1]
    ins += [add((batch, n_output), lo.INT8, state_scale, state_zp, variable=True),
            add((batch, n_cell), lo.INT16, 2.0 ** cell_log2, 0, variable=True)]
    ins += [-1 if (cifg or not layer_norm) else vec16(n_cell)] + [vec16(n_cell) if layer_norm else -1 for _ in range(3)]
    inter = [add((0,), lo.INT16, float(rng.uniform(2e-4, 1e-3)), 0) for _ in range(4)]
    inter.append(add((0,), lo.INT8, float(rng.uniform(0.004, 0.01)), int(rng.integers(-10, 10))))
    y = add(seq[:2] + (n_output,), lo.INT8, state_scale, state_zp)
    opts = {0: ("i8", 4), 1: ("f32", cell_clip), 2: ("f32", proj_clip), 3: ("bool", time_major)}
    op = lo.Op(UNIDIRECTIONAL_SEQUENCE_LSTM, ins, [y], OPT_LSTM, opts, intermediates=inter)
    return lo.build_model(t, op, [x], [y])


def svdf_model(seed: int, batch: int = 2, n_input: int = 10, n_unit: int = 4, rank: int = 2, memory: int = 5,
               with_bias: bool = True) -> bytes:
    rng = np.random.default_rng(seed)
    n_filter = n_unit * rank
    t = [lo.T((batch, n_input), lo.INT8, float(rng.uniform(0.005, 0.03)), int(rng.integers(-30, 30))),
         lo.T((n_filter, n_input), lo.INT8, float(rng.uniform(0.005, 0.03)), 0,
              rng.integers(-127, 128, (n_filter, n_input), dtype=np.int8)),
         lo.T((n_filter, memory), lo.INT16, float(rng.uniform(1e-5, 1e-4)), 0,
              rng.integers(-32767, 32768, (n_filter, memory)).astype(np.int16)),
         lo.T((n_unit,), lo.INT32, 1e-6, 0, rng.integers(-100000, 100000, n_unit).astype(np.int32)),
         lo.T((batch, memory * n_filter), lo.INT16, float(rng.uniform(1e-4, 1e-3)), 0, variable=True),
         lo.T((batch, n_unit), lo.INT8, float(rng.uniform(0.01, 0.05)), int(rng.integers(-20, 20)))]
    op = lo.Op(SVDF, [0, 1, 2, 3 if with_bias else -1, 4], [5], OPT_SVDF, {0: ("i32", rank), 1: ("i8", 1)})
    return lo.build_model(t, op, [0], [5])


def compare_runs(model: bytes, runs: int = 3, seed: int = 0) -> None:
    """LiteRT and edgekd on every path over `runs` invocations, then two more after edgekd's reset_state(),
    which equal a fresh LiteRT interpreter's (reset_all_variables would keep resource variables)."""
    it = litert.interpreter(model)
    d = it.get_input_details()[0]
    rng = np.random.default_rng(seed)
    xs = [rng.integers(-128, 128, tuple(d["shape"]), dtype=np.int8) for _ in range(runs + 2)]
    want = []
    for k, x in enumerate(xs):
        if k == runs:
            it = litert.interpreter(model)
        it.set_tensor(d["index"], x)
        it.invoke()
        want.append(it.get_tensor(it.get_output_details()[0]["index"]).copy())
    assert not np.array_equal(want[0], want[runs]) or not np.array_equal(xs[0], xs[runs])
    for path in PATHS:
        with isa(path):
            m = edgekd.load(model)
        assert m.has_state
        for k, x in enumerate(xs):
            if k == runs:
                m.reset_state()
            got = m.run_raw([x])[0]
            assert np.array_equal(got, want[k]), (path, k, first_difference(got, want[k]))


LSTM_CASES = {
    "plain": dict(),
    "batch3": dict(batch=3),
    "time_major": dict(batch=2, time_major=True),
    "cifg": dict(cifg=True, batch=2),
    "peephole": dict(peephole=True),
    "cifg_peephole": dict(cifg=True, peephole=True),
    "layer_norm": dict(layer_norm=True, n_cell=8),
    "layer_norm_cifg_time_major": dict(layer_norm=True, cifg=True, time_major=True, batch=2, n_cell=16),
    "projection": dict(n_output=5, n_cell=12),
    "projection_clips": dict(n_output=6, n_cell=10, cell_clip=0.5, proj_clip=0.3, batch=2),
    "peephole_projection": dict(peephole=True, n_output=4, n_cell=8),
    "cell_scale_2^-15": dict(cell_log2=-15),
    "cell_scale_2^-9": dict(cell_log2=-9),
    "cell_scale_2^-16": dict(cell_log2=-16),  # LiteRT's tanh of the cell falls back to the input gate
    "wide": dict(n_input=40, n_cell=33, steps=3),
}


@pytest.mark.parametrize("name", sorted(LSTM_CASES))
def test_lstm_one_op_matches_litert_across_invocations(name):
    compare_runs(lstm_model(seed=sorted(LSTM_CASES).index(name), **LSTM_CASES[name]))


@pytest.mark.parametrize("kw", [dict(), dict(batch=1, rank=1, memory=1), dict(with_bias=False, n_unit=7, rank=3),
                                dict(batch=3, n_input=33, memory=8)], ids=str)
def test_svdf_matches_litert_across_invocations(kw):
    compare_runs(svdf_model(seed=len(str(kw)), **kw), runs=6)


@pytest.mark.parametrize("name", sorted(p.name for p in STATE_DATA.glob("*.tflite")))
def test_state_data_models_match_litert(name):
    """TensorFlow-converter LSTMs (make_state_models.py) and one-op seeds (make_state_oneop.py)."""
    compare_runs((STATE_DATA / name).read_bytes(), runs=3)


def test_interpreter_carries_and_resets_state_like_litert():
    model = (STATE_DATA / "lstm_mnist_rows_int8.tflite").read_bytes()
    ours, theirs = edgekd.Interpreter(model_content=model), litert.interpreter(model)
    ours.allocate_tensors()
    x = np.random.default_rng(1).integers(-128, 128, (1, 28, 28), dtype=np.int8)
    outs = []
    for it in (ours, theirs):
        i, o = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
        seq = []
        for k in range(4):
            if k == 2:
                it.reset_all_variables()
            it.set_tensor(i, x)
            it.invoke()
            seq.append(it.get_tensor(o))
        outs.append(seq)
    for a, b in zip(*outs):
        assert np.array_equal(a, b)
    assert not np.array_equal(outs[0][0], outs[0][1])  # the same input twice: the state moved on
    assert np.array_equal(outs[0][0], outs[0][2])      # reset: back to the first answer
    details = {d["name"]: d for d in ours.get_tensor_details()}
    cell = [d for d in details.values() if d["dtype"] == np.int16]
    assert cell and all(d["quantization_parameters"]["scales"].size == 1 for d in cell)


def test_resource_variables_carry_and_reset_like_litert():
    """VAR_HANDLE / READ_VARIABLE / ASSIGN_VARIABLE with a CALL_ONCE init: reset_all_variables leaves the
    resource as it is (LiteRT's), Model.reset_state goes back to the init value."""
    model = (STATE_DATA / "resource_variable_accumulator_int8.tflite").read_bytes()
    ours, theirs = edgekd.Interpreter(model_content=model), litert.interpreter(model)
    ours.allocate_tensors()
    xs = np.random.default_rng(2).integers(-128, 128, (4, 1, 16), dtype=np.int8)
    got = {}
    for name, it in (("edgekd", ours), ("litert", theirs)):
        i, o = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
        got[name] = []
        for k, x in enumerate(xs):
            if k == 2:
                it.reset_all_variables()
            it.set_tensor(i, x)
            it.invoke()
            got[name].append(it.get_tensor(o))
    for a, b in zip(got["edgekd"], got["litert"]):
        assert np.array_equal(a, b)
    m = ours.model
    assert m.info()["num_variables"] == 1 and m.info()["kernels"]["resource_variable"] == ["copy"]
    m.reset_state()
    assert np.array_equal(m.run_raw([xs[0]])[0], got["litert"][0])
    assert len(ours.get_tensor_details()) == len(theirs.get_tensor_details())


def test_stateful_model_refuses_batch_slicing_and_reports_state():
    m = edgekd.load((STATE_DATA / "lstm_kws_int8.tflite").read_bytes())
    assert m.info()["num_variables"] == 4 and m.info()["state_bytes"] > 0
    assert m.info()["kernels"]["lstm"]
    with pytest.raises(ValueError, match="keeps state"):
        m(np.zeros((3, 49, 10), np.int8))
    it = edgekd.Interpreter(model_content=(STATE_DATA / "lstm_kws_int8.tflite").read_bytes())
    with pytest.raises(ValueError, match="keeps state"):
        it.resize_tensor_input(it.get_input_details()[0]["index"], [2, 49, 10])


def test_bad_lstm_and_svdf_files_fail_by_name():
    import re
    model = lstm_model(seed=3, cifg=True, cell_log2=-16)
    with pytest.raises(ValueError, match=re.escape("UNIDIRECTIONAL_SEQUENCE_LSTM") + ".*CIFG"):
        edgekd.load(model)
    rng = np.random.default_rng(0)
    t = [lo.T((1, 4), lo.INT8, 0.1, 0), lo.T((2, 4), lo.INT8, 0.1, 0, rng.integers(-5, 5, (2, 4), dtype=np.int8)),
         lo.T((2, 3), lo.INT16, 0.1, 0, np.ones((2, 3), np.int16)), lo.T((1, 6), lo.INT16, 0.1, 0, variable=True),
         lo.T((1, 2), lo.INT8, 0.1, 0)]
    relu6 = lo.build_model(t, lo.Op(SVDF, [0, 1, 2, -1, 3], [4], OPT_SVDF, {0: ("i32", 1), 1: ("i8", 3)}), [0], [4])
    with pytest.raises(ValueError, match="SVDF.*RELU activation only"):
        edgekd.load(relu6)
    t[3].variable = False
    with pytest.raises(ValueError, match="SVDF.*input 4 reads tensor 3 't3' before any op produces it"):
        edgekd.load(lo.build_model(t, lo.Op(SVDF, [0, 1, 2, -1, 3], [4], OPT_SVDF, {0: ("i32", 1), 1: ("i8", 1)}),
                                   [0], [4]))
