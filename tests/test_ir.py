"""ir.Graph: building helpers, equality, dequantize, and validate() naming the op or tensor at fault."""
from __future__ import annotations

import numpy as np
import pytest

from edgekd import ir
from edgekd.errors import EdgekdError


def _fc_graph() -> ir.Graph:
    g = ir.Graph(name="fc")
    x = g.add_activation("x", (1, 4), 0.1, -3)
    w = g.add_constant("w", np.arange(12, dtype=np.int8).reshape(3, 4), ir.QuantParams.per_channel([0.1, 0.2, 0.3], 0))
    b = g.add_constant("b", np.zeros(3, np.int32), ir.QuantParams.per_channel([0.01, 0.02, 0.03], 0))
    y = g.add_activation("y", (1, 3), 0.5, 0)
    g.add_op("FULLY_CONNECTED", [x, w, b], [y], fused_activation_function="RELU")
    g.inputs, g.outputs = [x], [y]
    return g


def test_building_and_queries() -> None:
    g = _fc_graph()
    g.validate()
    assert g.find_tensor("w") == 1 and g.producer(3) == 0 and g.producer(0) is None
    assert g.consumers(1) == [0]
    assert g.tensors[1].dtype == "int8" and g.tensors[2].dtype == "int32"
    assert g.constant_bytes() == 12 + 12
    assert g.options_with_defaults(g.ops[0])["keep_num_dims"] is False
    assert "FULLY_CONNECTED" in g.summary()
    scalar = g.add_constant("s", np.array(-1, np.int32))
    assert g.tensors[scalar].shape == ()  # scalars stay rank 0


def test_quant_params() -> None:
    q = ir.QuantParams.per_tensor(0.5, 3)
    assert not q.is_per_channel and q.per_channel_count == 1
    np.testing.assert_array_equal(q.dequantize(np.array([3, 5], np.int8)), [0.0, 1.0])
    pc = ir.QuantParams.per_channel([1.0, 2.0], axis=1)
    np.testing.assert_array_equal(pc.dequantize(np.array([[1, 1], [2, 2]], np.int8)), [[1, 2], [2, 4]])
    assert pc == ir.QuantParams.per_channel(np.array([1.0, 2.0]), axis=1)
    assert pc != ir.QuantParams.per_channel([1.0, 2.0], axis=0)
    assert q != ir.QuantParams.per_tensor(0.5, 4)


def test_equality_compares_data_and_defaults() -> None:
    a, b = _fc_graph(), _fc_graph()
    assert a == b
    b.ops[0].options["keep_num_dims"] = False  # an explicit default equals an absent one
    assert a == b
    b.tensors[1].data[0, 0] = 5
    assert a != b


@pytest.mark.parametrize("breaker, expect", [
    (lambda g: g.inputs.append(1), "graph input 1 (tensor 1 'w') is a constant"),
    (lambda g: g.ops.insert(0, ir.Op("RELU", [3], [0])), "op 0 (RELU) input 0 reads tensor 3 ('y') before any op writes it"),
    (lambda g: g.ops.append(ir.Op("RELU", [0], [3])), "op 1 (RELU) output 0 writes tensor 3 ('y'), already written by op 0"),
    (lambda g: g.ops[0].outputs.clear(), "op 0 (FULLY_CONNECTED) has no outputs"),
    (lambda g: setattr(g.tensors[0].quant, "scale", np.array([0.0], np.float32)), "tensor 0 ('x'): quantization scale 0.0"),
    (lambda g: setattr(g.tensors[0], "shape", (1, -4)), "tensor 0 ('x'): negative dimension"),
    (lambda g: setattr(g.tensors[1], "shape", (4, 3)), "tensor 1 ('w'): data shape [3, 4] != tensor shape [4, 3]"),
    (lambda g: setattr(g.tensors[1].quant, "quantized_dimension", 1), "tensor 1 ('w'): 3 per-channel scales but dimension 1 has size 4"),
    (lambda g: g.outputs.__setitem__(0, 0), None),  # an input may also be an output: valid
])
def test_validate_names_the_culprit(breaker, expect) -> None:
    g = _fc_graph()
    breaker(g)
    if expect is None:
        g.validate()
        return
    with pytest.raises(EdgekdError) as e:
        g.validate()
    assert expect in str(e.value) and "graph 'fc'" in str(e.value)


def test_optional_inputs_are_minus_one() -> None:
    g = _fc_graph()
    g.ops[0].inputs[2] = -1
    g.validate()
    g.ops[0].inputs[1] = -2
    with pytest.raises(EdgekdError, match="input 1 refers to tensor -2"):
        g.validate()


def test_dtype_names() -> None:
    assert ir.dtype_name(np.int8) == "int8" and ir.dtype_name(np.float32) == "float32"
    with pytest.raises(EdgekdError, match="no TFLite tensor type"):
        ir.dtype_name(np.dtype("U3"))
